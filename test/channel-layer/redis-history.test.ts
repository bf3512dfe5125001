/**
 * Group history on Redis when the subscription drops: messages published while a process's
 * subscriber was cut off are read from the history once it is back, with no later message
 * needed to show the gap.
 */
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
});
