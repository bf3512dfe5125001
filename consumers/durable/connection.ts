import { Redis } from 'ioredis';

export interface DurableConfig {
  url: string;
  /** The layer's key prefix; durable queues live under `<prefix>:durable`. */
  prefix: string;
}

export function queuePrefix(config: DurableConfig): string {
  return `${config.prefix}:durable`;
}

/**
 * For enqueueing: fail at once while Redis is away (the caller gets LayerUnavailable), never
 * queue commands in memory.
 */
export function senderConnection(config: DurableConfig): Redis {
  const redis = new Redis(config.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: 'switchyard-durable-sender' });
  redis.on('error', () => {}); // reported to callers of send()
  return redis;
}

/** For BullMQ workers, which block and must retry forever (BullMQ requires maxRetriesPerRequest: null). */
export function workerConnection(config: DurableConfig): Redis {
  const redis = new Redis(config.url, { maxRetriesPerRequest: null, connectionName: 'switchyard-durable-worker' });
  redis.on('error', () => {}); // BullMQ reconnects; the worker logs its own errors
  return redis;
}
