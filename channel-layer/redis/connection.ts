import { describeError } from '../../schemas/index.js';
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { LayerUnavailable } from '../errors.js';
import { redactUrl } from './redact.js';

/**
 * Where Redis is: one server by `url`, or a primary that Sentinel watches over. With
 * `sentinels` ("host:port,host:port"), the primary named `sentinelMaster` is asked of the
 * sentinels (and again after a failover); `url` then gives only what it says of the primary
 * beyond its address: user, password, database, and TLS (`rediss:`).
 */
export interface RedisTarget {
  url: string;
  sentinels?: string | undefined;
  sentinelMaster?: string | undefined;
}

/** A new ioredis client for `target`, with `options` on top. */
export function newRedis(target: RedisTarget, options: RedisOptions = {}): Redis {
  if (target.sentinels === undefined || target.sentinels === '') return new Redis(target.url, options);
  const primary = target.url.startsWith('/') ? undefined : new URL(target.url);
  const db = primary === undefined ? undefined : Number(primary.pathname.slice(1) || 0);
  return new Redis({
    sentinels: parseHostPorts(target.sentinels),
    name: target.sentinelMaster ?? 'mymaster',
    // A failover is seen at once (the sentinels announce it), not at the next failed command.
    failoverDetector: true,
    ...(primary?.username ? { username: decodeURIComponent(primary.username) } : {}),
    ...(primary?.password ? { password: decodeURIComponent(primary.password) } : {}),
    ...(db ? { db } : {}),
    ...(primary?.protocol === 'rediss:' ? { tls: {}, enableTLSForSentinelMode: true } : {}),
    ...options,
  });
}

/** `"host:port,host:port"` → addresses; the option schemas have checked the form. */
export function parseHostPorts(list: string): { host: string; port: number }[] {
  return list.split(',').map((entry) => {
    const at = entry.trim().lastIndexOf(':');
    return { host: entry.trim().slice(0, at).replace(/^\[(.*)\]$/, '$1'), port: Number(entry.trim().slice(at + 1)) };
  });
}

/** For log lines: the server without its password, or the sentinels and the primary's name. */
export function describeTarget(target: RedisTarget): string {
  if (target.sentinels === undefined || target.sentinels === '') return redactUrl(target.url);
  return `primary "${target.sentinelMaster ?? 'mymaster'}" of sentinels ${target.sentinels}`;
}

/**
 * Connection settings that make Redis trouble visible at once instead of hanging callers:
 * no offline queue (a command while disconnected fails now), no retry of in-flight commands
 * (a blocking pop is never re-sent to pop messages nobody waits for), reconnect forever
 * with capped backoff.
 */
export function openConnection(target: RedisTarget, name: string, extra: RedisOptions = {}): Redis {
  const redis = newRedis(target, {
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
