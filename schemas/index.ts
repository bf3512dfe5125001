export { PROTOCOL_VERSION } from './version.js';
export * from './common.js';
export * from './http.js';
export * from './websocket.js';
export * from './group.js';
export * from './lifespan.js';
export * from './directions.js';
export { MessageValidationError, parseServerToWorker, parseWorkerToServer, parseLifespan } from './parse.js';
export { encodeEnvelope, encodeGroupParts, encodedSize, decodeEnvelope, WireFormatError, type Envelope, type WireMessage } from './codec.js';
