import { once } from 'node:events';
import type { Queue } from 'bullmq';
import { isClusterTarget, LayerUnavailable, newClient, type RedisClient, type RedisTarget } from '../../channel-layer/index.js';

/** How long a first command waits for a connection's first connect. */
const FIRST_CONNECT_MS = 5_000;

export interface DurableConfig extends RedisTarget {
  /** The layer's key prefix; durable queues live under `<prefix>:durable`. */
  prefix: string;
}

/**
 * Where BullMQ keeps the queues. On a cluster, in braces (BullMQ's own convention): every key of
 * a queue must share one slot for its scripts, and the hash tag puts all of them in one.
 */
export function queuePrefix(config: DurableConfig): string {
  return isClusterTarget(config) ? `{${config.prefix}:durable}` : `${config.prefix}:durable`;
}

/**
 * For enqueueing: fail at once while Redis is away (the caller gets LayerUnavailable), never
 * queue commands in memory.
 */
export function senderConnection(config: DurableConfig): RedisClient {
  // A cluster client queues commands until it first knows the slots (BullMQ's own commands
  // come before that); from then on, a command while the cluster is away fails at once.
  const redis = newClient(config, { enableOfflineQueue: isClusterTarget(config), maxRetriesPerRequest: 1, connectionName: 'switchyard-durable-sender' });
  if (redis.isCluster) redis.once('ready', () => (redis.options.enableOfflineQueue = false));
  redis.on('error', () => {}); // reported to callers of send()
  return redis;
}

/** For BullMQ workers, which block and must retry forever (BullMQ requires maxRetriesPerRequest: null). */
export function workerConnection(config: DurableConfig): RedisClient {
  const redis = newClient(config, { maxRetriesPerRequest: null, connectionName: 'switchyard-durable-worker' });
  redis.on('error', () => {}); // BullMQ reconnects; the worker logs its own errors
  return redis;
}

/**
 * Resolves once `redis` can take commands. BullMQ waits for a connection's first 'ready' for
 * as long as it takes, and with no offline queue a command fails while disconnected: so wait
 * a moment for a first connect, and answer LayerUnavailable at once while Redis is away.
 */
export async function connected(redis: RedisClient, what: string): Promise<void> {
  const status = redis.status;
  if (status === 'ready') return;
  if (status === 'wait' || status === 'connecting' || status === 'connect') {
    // One signal ends both waits, so whichever loses leaves no listener behind on the client.
    const settled = new AbortController();
    const timer = setTimeout(() => settled.abort(new Error(`no connection within ${FIRST_CONNECT_MS} ms`)), FIRST_CONNECT_MS);
    const ready = once(redis, 'ready', { signal: settled.signal });
    const failed = once(redis, 'error', { signal: settled.signal }).then(([error]) => Promise.reject(error as Error));
    const ended = once(redis, 'end', { signal: settled.signal }).then(() => Promise.reject(new Error('the connection was closed')));
    try {
      await Promise.race([ready, failed, ended]);
      return;
    } catch (error) {
      throw new LayerUnavailable(`${what}: Redis is not reachable`, { cause: settled.signal.aborted ? settled.signal.reason : error });
    } finally {
      clearTimeout(timer);
      settled.abort();
      ready.catch(() => {});
      failed.catch(() => {});
      ended.catch(() => {});
    }
  }
  throw new LayerUnavailable(`${what}: not connected to Redis (${status})`);
}

/** How long closing waits for a queue's start-up that the closed connection does not end. */
const STARTUP_SETTLE_MS = 1_000;

/**
 * Closes `queues` and the connection they share. The connection goes first: BullMQ reports a
 * queue's failed start-up (its wait for 'ready', its INFO) through the queue's listeners, and
 * throws it as an unhandled rejection once `queue.close()` has removed them. Ending the
 * connection first settles every start-up in flight while the queues still listen. One that
 * it leaves pending (ioredis emits nothing when disconnected between reconnect attempts) stays
 * pending for good, so it can never reject after the close.
 */
export async function closeQueues(queues: Iterable<Queue>, redis: RedisClient): Promise<void> {
  const all = [...queues];
  redis.disconnect();
  let timer: NodeJS.Timeout | undefined;
  const startups = Promise.all(all.map((queue) => queue.waitUntilReady().then(() => {}, () => {})));
  await Promise.race([startups, new Promise<void>((resolve) => (timer = setTimeout(resolve, STARTUP_SETTLE_MS)))]);
  clearTimeout(timer);
  await Promise.all(all.map((queue) => queue.close()));
}
