/**
 * `switchyard/testing`: test consumers without a network. A TestBed runs the app's real worker
 * on an in-memory layer; communicators play the interface server's part.
 */
export { TestBed, type TestBedOptions } from './test-bed.js';
export { HttpCommunicator, type TestRequest, type TestResponse } from './http-communicator.js';
export { WebSocketCommunicator, type ConnectResult, type TestFrame } from './websocket-communicator.js';
