/**
 * What the durable-channel tests share: the app's path, a reader for what its consumers
 * recorded in Redis (see apps/durable-app.ts), bounded polling, and a wait for BullMQ workers
 * that really take jobs ("worker started" is logged before their connections are up).
 */
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { ROOT, randomPrefix, startWorker, type LayerEnv, type SwitchyardProcess } from '../helpers/processes.js';

export const DURABLE_APP = relative(ROOT, fileURLToPath(new URL('./apps/durable-app.ts', import.meta.url)));
export const DURABLE_ONLY_APP = relative(ROOT, fileURLToPath(new URL('./apps/durable-only-app.ts', import.meta.url)));

/** Polls `check` until it returns something other than undefined/false; fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

/** Rejects with a clear message if `promise` has not settled within `ms` (a hang, not an answer). */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the records the app's consumers keep under `<prefix>:rec`. */
export class Records {
  readonly redis: Redis;
  private readonly rec: string;

  constructor(url: string, prefix: string) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, connectionName: 'durable-test-reader' });
    this.redis.on('error', () => {});
    this.rec = `${prefix}:rec`;
  }

  /** marker → runs started, for one channel. */
  async executions(channel: string): Promise<Map<string, number>> {
    const hash = await this.redis.hgetall(`${this.rec}:exec:${channel}`);
    return new Map(Object.entries(hash).map(([marker, n]) => [marker, Number(n)]));
  }

  async runs(channel: string, marker: string): Promise<number> {
    return Number((await this.redis.hget(`${this.rec}:exec:${channel}`, marker)) ?? 0);
  }

  /** Date.now() at the start of each run of one job. */
  async times(channel: string, marker: string): Promise<number[]> {
    return (await this.redis.lrange(`${this.rec}:times:${channel}:${marker}`, 0, -1)).map(Number);
  }

  /** marker → Date.now() when a run finished without throwing. */
  async done(channel: string): Promise<Map<string, number>> {
    const hash = await this.redis.hgetall(`${this.rec}:done:${channel}`);
    return new Map(Object.entries(hash).map(([marker, at]) => [marker, Number(at)]));
  }

  /** "<channel>|<marker>" runs a process started / finished (with or without an error). */
  async started(pid: number): Promise<Set<string>> {
    return new Set(await this.redis.smembers(`${this.rec}:started:${pid}`));
  }

  async finished(pid: number): Promise<Set<string>> {
    return new Set(await this.redis.smembers(`${this.rec}:finished:${pid}`));
  }

  close(): void {
    this.redis.disconnect();
  }
}

/**
 * Waits until at least `count` BullMQ workers take jobs from `channel` (CLIENT LIST, through
 * BullMQ's own getWorkersCount) under the layer prefix `prefix`.
 */
export async function waitForDurableWorkers(url: string, prefix: string, channel: string, count: number, timeoutMs = 15_000): Promise<void> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  connection.on('error', () => {});
  const queue = new Queue(channel, { connection, prefix: `${prefix}:durable` });
  queue.on('error', () => {});
  try {
    await waitFor(`${count} durable worker(s) on "${channel}"`, async () => (await queue.getWorkersCount()) >= count, timeoutMs);
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/**
 * The BullMQ queue of durable channel `channel` under the layer prefix `prefix`, to read its
 * jobs as BullMQ holds them (state, scheduled delay) and to promote delayed ones.
 */
export function durableQueue(url: string, prefix: string, channel: string): { queue: Queue; close: () => Promise<void> } {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  connection.on('error', () => {});
  const queue = new Queue(channel, { connection, prefix: `${prefix}:durable` });
  queue.on('error', () => {});
  return {
    queue,
    close: async () => {
      await queue.close();
      connection.disconnect();
    },
  };
}

/** A layer of its own for one test: its own prefix on the file's redis-server. */
export function layerFor(redisUrl: string, name: string): LayerEnv {
  return { redisUrl, prefix: randomPrefix(`durable-${name}`) };
}

/**
 * `count` workers of the durable app on `layer`, once each logged "worker started" and all of
 * them take jobs from `channel`.
 */
export async function durableWorkers(layer: LayerEnv, count: number, channel: string, flags: string[] = []): Promise<SwitchyardProcess[]> {
  const workers = await Promise.all(Array.from({ length: count }, () => startWorker(DURABLE_APP, layer, flags)));
  await waitForDurableWorkers(layer.redisUrl, layer.prefix, channel, count);
  return workers;
}
