export type { ChannelLayer, Delivery, ReceiveOptions, Recipient, WireMessage } from './contract.js';
export { ChannelFull, InvalidMessage, InvalidName, LayerClosed, LayerError, LayerUnavailable } from './errors.js';
export { inboxOf } from './names.js';
export { layerOptions, refineHeartbeat, type LayerOptions, type LayerOptionsInput } from './options.js';
export { MemoryLayer, type MemoryLayerOptions } from './memory/layer.js';
export { MemoryStore } from './memory/store.js';
export { RedisLayer, redisLayerOptions, type LayerStats, type RedisLayerOptions, type RedisLayerOptionsInput } from './redis/layer.js';
export { redactUrl } from './redis/redact.js';
export { deadlines, type Expiring } from './deadlines.js';
