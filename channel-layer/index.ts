export type {
  ChannelLayer,
  Delivery,
  GroupAddOptions,
  GroupPosition,
  LayerSendOptions,
  PresenceEntry,
  PresenceInfo,
  PresenceStats,
  ReceiveOptions,
  Recipient,
  Unrecoverable,
  WireMessage,
} from './contract.js';
export { UNORDERED } from './contract.js';
export { ChannelFull, InvalidMessage, InvalidName, LayerClosed, LayerError, LayerUnavailable, LayoutMismatch } from './errors.js';
export { inboxOf } from './names.js';
export { HistoryRules, recovery, type HistoryRule } from './history.js';
export { layerOptions, refineHeartbeat, type LayerOptions, type LayerOptionsInput } from './options.js';
export { MemoryLayer, type MemoryLayerOptions } from './memory/layer.js';
export { MemoryStore } from './memory/store.js';
export { RedisLayer, redisLayerOptions, type LayerStats, type RedisLayerOptions, type RedisLayerOptionsInput } from './redis/layer.js';
export { redactUrl } from './redis/redact.js';
export { describeTarget, isClusterTarget, newClient, newRedis, scanKeys, type RedisClient, type RedisTarget } from './redis/connection.js';
export { deadlines, type Expiring } from './deadlines.js';
