/**
 * Group history on Redis when the subscription drops: messages published while a process's
 * subscriber was cut off are read from the history once it is back, with no later message
 * needed to show the gap.
 */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLayer, type GroupPosition, type WireMessage } from '../../channel-layer/index.js';
import { RedisServer } from '../helpers/redis-server.js';

describe('redis layer: a follower whose subscription dropped', () => {
  let redis: RedisServer;
  const layers: RedisLayer[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(layers.map((l) => l.close()));
    await redis?.stop();
  });

  it('gets what was published while it was away, once each and in order', async () => {
    const prefix = `history-${Math.random().toString(36).slice(2, 8)}`;
    const options = { url: redis.url, prefix, groupHistory: [{ pattern: 'room.*', size: 100, maxAgeMs: 60_000 }] };
    const server = new RedisLayer(options);
    const worker = new RedisLayer(options);
    layers.push(server, worker);
    await Promise.all([server.waitUntilReady(), worker.waitUntilReady()]);
    const got: number[] = [];
    let follows = 0;
    const channel = server.openChannel({
      deliver: (_message: WireMessage, _group: string | undefined, position?: GroupPosition) => void got.push(position!.offset),
      followed: () => void follows++,
      lost() {},
    });
    await worker.groupAdd('room.cut', channel);
    await expect.poll(() => follows).toBe(1);
    await worker.groupSend('room.cut', { type: 't' });
    await expect.poll(() => got).toEqual([1]);

    const admin = new Redis(redis.url);
    try {
      // Cut every subscriber off, and publish at once, before the follower can be back.
      const killed = (await admin.client('KILL', 'TYPE', 'pubsub')) as number;
      expect(killed).toBeGreaterThan(0);
      for (let i = 0; i < 5; i++) await worker.groupSend('room.cut', { type: 't' });
    } finally {
      admin.disconnect();
    }
    await expect.poll(() => got, { timeout: 10_000 }).toEqual([1, 2, 3, 4, 5, 6]);
    expect(follows).toBe(1);
  });

  it('a history begun again under a follower: it is told the epoch changed, then goes on with the new one, and stops reading', async () => {
    const prefix = `history-${Math.random().toString(36).slice(2, 8)}`;
    const options = { url: redis.url, prefix, groupHistory: [{ pattern: 'room.*', size: 100, maxAgeMs: 60_000 }] };
    const server = new RedisLayer(options);
    const worker = new RedisLayer(options);
    layers.push(server, worker);
    await Promise.all([server.waitUntilReady(), worker.waitUntilReady()]);
    const got: GroupPosition[] = [];
    const follows: (string | undefined)[] = [];
    const channel = server.openChannel({
      deliver: (_message: WireMessage, _group: string | undefined, position?: GroupPosition) => void got.push(position!),
      followed: (_group: string, _position: GroupPosition, missed: string | undefined) => void follows.push(missed),
      lost() {},
    });
    await worker.groupAdd('room.reset', channel);
    await expect.poll(() => follows).toEqual([undefined]);
    for (let i = 0; i < 3; i++) await worker.groupSend('room.reset', { type: 't' });
    await expect.poll(() => got.length).toBe(3);
    const admin = new Redis(redis.url);
    try {
      // The history's state is lost (expired, evicted): the next send begins a new epoch.
      await admin.del(server.keys.historyState('room.reset'), server.keys.history('room.reset'));
      const first = await worker.groupSend('room.reset', { type: 't' });
      expect(first!.offset).toBe(1);
      expect(first!.epoch).not.toBe(got[0]!.epoch);
      await expect.poll(() => follows).toEqual([undefined, 'epoch']);
      await worker.groupSend('room.reset', { type: 't' });
      await expect.poll(() => got.at(-1)).toEqual({ epoch: first!.epoch, offset: 2 });
      // Settled: no read goes on in the background.
      const calls = async (): Promise<number> => Number(/cmdstat_evalsha:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
      const before = await calls();
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await calls()).toBe(before);
    } finally {
      admin.disconnect();
    }
  });

  it('a history send made again under its receipt (a cluster client resending) records and publishes nothing more', async () => {
    const script = readFileSync(new URL('../../channel-layer/redis/lua/group-history-v1.lua', import.meta.url), 'utf8');
    const admin = new Redis(redis.url);
    const listener = new Redis(redis.url);
    try {
      const heard: string[] = [];
      await listener.subscribe('t:feed:room.once');
      listener.on('message', (_topic, payload: string) => void heard.push(payload));
      const call = (): Promise<unknown> =>
        admin.eval(script, 3, 't:hstate:{room.once}', 't:history:{room.once}', 't:sent:{room.once}p!h1', 'send', 'e1', Date.now(), 10, 60_000, 120_000, 't:feed:room.once', 'envelope', 10_000);
      expect(await call()).toEqual(['e1', 1]);
      expect(await call()).toEqual(['e1', 1]);
      expect(await admin.xlen('t:history:{room.once}')).toBe(1);
      await expect.poll(() => heard).toEqual(['1 e1 envelope']);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heard).toEqual(['1 e1 envelope']); // and no second one behind it
    } finally {
      admin.disconnect();
      listener.disconnect();
    }
  });
});
