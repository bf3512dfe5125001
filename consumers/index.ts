export { App, createApp, appFromModule, type AppManifest } from './app.js';
export { Worker, workerOptions, type WorkerOptions, type WorkerOptionsInput } from './worker.js';
export { HttpRequest } from './http/request.js';
export { HeaderList } from './http/headers.js';
export { html, json, redirect, respond, stream, text, HttpResponse, type ResponseLike, type ResponseOptions } from './http/response.js';
export type {
  AnyContext,
  ChannelContext,
  ChannelHandler,
  HttpContext,
  HttpHandler,
  Middleware,
  WebSocketConsumer,
  WebSocketContext,
  WebSocketMessage,
} from './types.js';
export { fromFetch, fromNode, type FetchEnv, type FetchHandler, type NodeHandler } from './adapters/index.js';
export {
  DurableAdmin,
  DurableSender,
  durableSender,
  type DeadLetter,
  type DurableConfig,
  type DurableCounts,
  type DurableOptionsInput,
  type SendOptions,
} from './durable/index.js';
