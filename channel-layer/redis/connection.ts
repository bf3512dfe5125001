import { describeError } from '../../schemas/index.js';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { LayerUnavailable } from '../errors.js';

/**
 * Connection settings that make Redis trouble visible at once instead of hanging callers:
 * no offline queue (a command while disconnected fails now), no retry of in-flight commands
 * (a blocking pop is never re-sent to pop messages nobody waits for), reconnect forever
 * with capped backoff.
 */
export function openConnection(url: string, name: string, extra: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
    ...extra,
  });
  // ioredis reports connection trouble as 'error' events while it reconnects; callers learn of
  // it as LayerUnavailable from their own commands, so the events need no handler of their own.
  redis.on('error', () => {});
  return redis;
}

/** Redis's own replies (a script error, OOM) pass through; lost connections become LayerUnavailable. */
export function toLayerError(error: unknown): unknown {
  if (error instanceof ReplyError || error instanceof LayerUnavailable) return error;
  const detail = describeError(error);
  return new LayerUnavailable(detail, { cause: error });
}
