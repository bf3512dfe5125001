import { describeError } from '../../schemas/index.js';
import { Cluster, Redis, ReplyError, type RedisOptions } from 'ioredis';
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
  /** The password the sentinels themselves require, if any (the primary's is in `url`). */
  sentinelPassword?: string | undefined;
  /** Redis Cluster: seed nodes, "host:port,host:port"; `url` then gives user, password and TLS. */
  cluster?: string | undefined;
}

/** One Redis server (perhaps found through Sentinel), or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** Whether `target` names a Redis Cluster. */
export function isClusterTarget(target: RedisTarget): boolean {
  return target.cluster !== undefined && target.cluster !== '';
}

/** What a URL says of a server beyond its address: user, password, database, TLS. */
function credentials(url: string): RedisOptions {
  const parsed = url.startsWith('/') ? undefined : new URL(url);
  if (parsed === undefined) return {};
  const db = Number(parsed.pathname.slice(1) || 0);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * A client for `target`: a Cluster for a cluster (its nodes get `options`, and the cluster the
 * same offline-queue rule and a capped reconnect), else `newRedis`.
 */
export function newClient(target: RedisTarget, options: RedisOptions = {}): RedisClient {
  if (!isClusterTarget(target)) return newRedis(target, options);
  const { db: _oneDatabaseOnly, ...perNode } = credentials(target.url);
  const { lazyConnect, retryStrategy, ...nodeOptions } = options;
  return new Cluster(parseHostPorts(target.cluster!), {
    redisOptions: { ...perNode, ...nodeOptions },
    lazyConnect: lazyConnect ?? false,
    enableOfflineQueue: options.enableOfflineQueue ?? true,
    clusterRetryStrategy: retryStrategy ?? ((attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000)),
    scaleReads: 'master',
  });
}

/** A dedicated connection to one node of `target`'s cluster (a blocking pop's own). */
export function newNodeConnection(target: RedisTarget, node: { host: string; port: number }, options: RedisOptions): Redis {
  const { db: _oneDatabaseOnly, ...perNode } = credentials(target.url);
  return new Redis({ ...perNode, ...node, ...options });
}

/**
 * Every key matching `pattern`, by SCAN (never KEYS), a batch at a time: on a cluster, on each
 * primary in turn, since a node lists only the keys of its own slots.
 */
export async function scanKeys(redis: RedisClient, pattern: string, onKeys: (keys: string[]) => Promise<void>): Promise<void> {
  const nodes = redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await onKeys(found);
    } while (cursor !== '0');
  }
}

export type CommandCall = [command: string, ...args: (string | number | Buffer)[]];

/**
 * Runs commands on several keys at once: as one pipeline on one server; on a cluster, which
 * refuses a pipeline that spans slots, each on its own (ioredis writes them without waiting, so
 * they still leave together). Results in order, as a pipeline gives them.
 */
export async function runEach(redis: RedisClient, calls: readonly CommandCall[]): Promise<[Error | null, unknown][]> {
  if (!redis.isCluster) {
    const pipeline = redis.pipeline() as unknown as Record<string, (...args: unknown[]) => unknown> & { exec(): Promise<[Error | null, unknown][] | null> };
    for (const [command, ...args] of calls) pipeline[command]!(...args);
    return (await pipeline.exec()) ?? calls.map(() => [new Error('no reply'), null]);
  }
  const client = redis as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  return Promise.all(
    calls.map(([command, ...args]) =>
      client[command]!(...args).then(
        (value): [Error | null, unknown] => [null, value],
        (error: Error): [Error | null, unknown] => [error, null],
      ),
    ),
  );
}

/** A new ioredis client for `target`, with `options` on top. */
export function newRedis(target: RedisTarget, options: RedisOptions = {}): Redis {
  if (target.sentinels === undefined || target.sentinels === '') return new Redis(target.url, options);
  const primary = credentials(target.url);
  return new Redis({
    sentinels: parseHostPorts(target.sentinels),
    name: target.sentinelMaster ?? 'mymaster',
    // A failover is seen at once (the sentinels announce it), not at the next failed command.
    failoverDetector: true,
    ...(target.sentinelPassword ? { sentinelPassword: target.sentinelPassword } : {}),
    ...primary,
    ...(primary.tls ? { enableTLSForSentinelMode: true } : {}),
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
  if (isClusterTarget(target)) return `cluster ${target.cluster}`;
  if (target.sentinels === undefined || target.sentinels === '') return redactUrl(target.url);
  return `primary "${target.sentinelMaster ?? 'mymaster'}" of sentinels ${target.sentinels}`;
}

/**
 * Connection settings that make Redis trouble visible at once instead of hanging callers:
 * no offline queue (a command while disconnected fails now), no retry of in-flight commands
 * (a blocking pop is never re-sent to pop messages nobody waits for), reconnect forever
 * with capped backoff.
 */
export function openConnection(target: RedisTarget, name: string, extra: RedisOptions = {}): RedisClient {
  const redis = newClient(target, {
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
