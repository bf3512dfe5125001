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
