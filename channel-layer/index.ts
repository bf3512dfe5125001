export type { ChannelLayer, Delivery, ReceiveOptions, Recipient, WireMessage } from './contract.js';
export { ChannelFull, InvalidMessage, InvalidName, LayerClosed, LayerError, LayerUnavailable } from './errors.js';
export { assertChannelName, assertGroupName, inboxOf } from './names.js';
export { layerOptions, parseOptions, type LayerOptions, type LayerOptionsInput } from './options.js';
export { MemoryLayer, type MemoryLayerOptions } from './memory/layer.js';
export { MemoryStore } from './memory/store.js';
export { RedisLayer, redisLayerOptions, type LayerStats, type RedisLayerOptions, type RedisLayerOptionsInput } from './redis/layer.js';
export { inspectLayer, type LayerSnapshot } from './redis/inspect.js';
export { DeadlineWheel, deadlines, type Expiring } from './deadlines.js';
