/**
 * Waiting for a durable connection leaves nothing behind on the client: sends made while Redis
 * is away (each one waits, then fails) must not pile listeners onto the connection.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayerUnavailable } from '../../channel-layer/index.js';
import { connected } from '../../consumers/durable/connection.js';
import { durableSender } from '../../consumers/index.js';
import app from './apps/durable-app.js';
import { freePort, RedisServer } from '../helpers/redis-server.js';

describe('connected()', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('leaves no listener behind, whether Redis answers or not', async () => {
    const down = new Redis(`redis://127.0.0.1:${await freePort()}`, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
    down.on('error', () => {});
    const clients = [down];
    try {
      const errorListeners = down.listenerCount('error');
      for (let i = 0; i < 20; i++) await expect(connected(down, 'a send')).rejects.toBeInstanceOf(LayerUnavailable);
      expect(down.listenerCount('error')).toBe(errorListeners);
      // ioredis keeps one 'ready' listener of its own while it connects; none of ours may stay.
      expect(down.listenerCount('ready')).toBeLessThanOrEqual(1);

      const up = new Redis(redis.url, { maxRetriesPerRequest: null });
      up.on('error', () => {});
      clients.push(up);
      expect(up.status).toBe('connecting');
      const upErrorListeners = up.listenerCount('error');
      await connected(up, 'a send');
      expect(up.listenerCount('error')).toBe(upErrorListeners);
      expect(up.listenerCount('ready')).toBe(0);
    } finally {
      for (const client of clients) client.disconnect();
    }
  });

  it('closing a sender while it waits for Redis ends the waiting send at once (LayerUnavailable), with nothing left to reject unhandled', async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', record);
    // A frozen server: the connection opens, the ready check is never answered.
    redis.pause();
    try {
      const sender = durableSender(app, { url: redis.url, prefix: 'durable-closing' });
      const send = sender.send('recover', { type: 'job', marker: 'never' }).then(
        () => 'resolved',
        (error: unknown) => error,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      await sender.close();
      const outcome = await send;
      expect(outcome).toBeInstanceOf(LayerUnavailable);
      // Ended by the close, not by the wait for a first connect running out.
      expect(((outcome as LayerUnavailable).cause as Error).message).toBe('the connection was closed');
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
    } finally {
      redis.resume();
      process.off('unhandledRejection', record);
    }
  });
});
