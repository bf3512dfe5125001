import { z } from 'zod';
import {
  httpDisconnect,
  httpRequest,
  httpRequestBody,
  httpRequestPull,
  httpResponse,
  httpResponseAbort,
  httpResponseBody,
  httpResponseCredit,
  httpResponseEarlyHints,
  httpResponsePush,
  httpResponseStart,
} from './http.js';
import { lifespanShutdown, lifespanStartup } from './lifespan.js';
import {
  websocketAccept,
  websocketClose,
  websocketConnect,
  websocketDisconnect,
  websocketDone,
  websocketReceive,
  websocketSend,
} from './websocket.js';

/** What interface servers send to workers. */
export const serverToWorkerSchemas = {
  'http.request': httpRequest,
  'http.request.body': httpRequestBody,
  'http.disconnect': httpDisconnect,
  'http.response.credit': httpResponseCredit,
  'websocket.connect': websocketConnect,
  'websocket.receive': websocketReceive,
  'websocket.disconnect': websocketDisconnect,
} as const;

/** What workers send back, checked by the server before it touches a socket. */
export const workerToServerSchemas = {
  'http.request.pull': httpRequestPull,
  'http.response.start': httpResponseStart,
  'http.response.body': httpResponseBody,
  'http.response': httpResponse,
  'http.response.abort': httpResponseAbort,
  'http.response.push': httpResponsePush,
  'http.response.early_hints': httpResponseEarlyHints,
  'websocket.accept': websocketAccept,
  'websocket.send': websocketSend,
  'websocket.close': websocketClose,
  'websocket.done': websocketDone,
} as const;

export const lifespanSchemas = {
  'lifespan.startup': lifespanStartup,
  'lifespan.shutdown': lifespanShutdown,
} as const;

export const serverToWorkerMessage = z.discriminatedUnion('type', [
  httpRequest,
  httpRequestBody,
  httpDisconnect,
  httpResponseCredit,
  websocketConnect,
  websocketReceive,
  websocketDisconnect,
]);

export const workerToServerMessage = z.discriminatedUnion('type', [
  httpRequestPull,
  httpResponseStart,
  httpResponseBody,
  httpResponse,
  httpResponseAbort,
  httpResponsePush,
  httpResponseEarlyHints,
  websocketAccept,
  websocketSend,
  websocketClose,
  websocketDone,
]);

export const lifespanMessage = z.discriminatedUnion('type', [lifespanStartup, lifespanShutdown]);

export type ServerToWorkerMessage = z.infer<typeof serverToWorkerMessage>;
export type WorkerToServerMessage = z.infer<typeof workerToServerMessage>;
export type LifespanMessage = z.infer<typeof lifespanMessage>;
/** Message shapes as a sender may write them: fields with defaults are optional. */
export type ServerToWorkerInput = z.input<typeof serverToWorkerMessage>;
export type WorkerToServerInput = z.input<typeof workerToServerMessage>;
