/**
 * switchyard: interface servers, a channel layer and workers that meet only in messages.
 * This entry point carries the public API; `switchyard/schemas` and
 * `switchyard/channel-layer` expose each part on its own.
 */
export {
  PROTOCOL_VERSION,
  MessageValidationError,
  parseServerToWorker,
  parseWorkerToServer,
  type ServerToWorkerMessage,
  type WorkerToServerMessage,
  type WireMessage,
} from './schemas/index.js';
export {
  ChannelFull,
  InvalidMessage,
  InvalidName,
  LayerClosed,
  LayerError,
  LayerUnavailable,
  MemoryLayer,
  RedisLayer,
  type ChannelLayer,
  type Delivery,
  type ReceiveOptions,
} from './channel-layer/index.js';
export {
  App,
  createApp,
  DurableAdmin,
  durableSender,
  fromFetch,
  fromNode,
  Worker,
  HttpRequest,
  HeaderList,
  html,
  json,
  redirect,
  respond,
  stream,
  text,
  type AnyContext,
  type DeadLetter,
  type DurableCounts,
  type DurableOptionsInput,
  type SendOptions,
  type FetchEnv,
  type FetchHandler,
  type NodeHandler,
  type ChannelContext,
  type HttpContext,
  type Middleware,
  type ResponseLike,
  type WebSocketConsumer,
  type WebSocketContext,
  type WebSocketMessage,
} from './consumers/index.js';
export { InterfaceServer, type ServerOptionsInput } from './interface-server/index.js';
