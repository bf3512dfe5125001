import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LayerUnavailable, RedisLayer } from '../../channel-layer/index.js';
import { RedisServer } from '../helpers/redis-server.js';

describe('redis layer when Redis goes away', () => {
  let redis: RedisServer;
  let prefix: string;
  const layers: RedisLayer[] = [];

  beforeEach(async () => {
    prefix = `restart-${Math.random().toString(36).slice(2, 10)}`;
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    await Promise.all(layers.splice(0).map((l) => l.close()));
    await redis.stop();
  });

  async function layer(): Promise<RedisLayer> {
    const made = new RedisLayer({ url: redis.url, prefix, heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1000 });
    layers.push(made);
    await made.waitUntilReady();
    return made;
  }

  /** Retries `attempt` until it stops failing with LayerUnavailable (the layer reconnecting). */
  async function once<T>(attempt: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof LayerUnavailable)) throw error;
        await sleep(50);
      }
    }
  }

  it('fails waiting receivers with LayerUnavailable, fails calls at once while down, and recovers after a restart', async () => {
    const receiver = await layer();
    const sender = await layer();
    const mine = await receiver.newChannel();
    const waitingShared = receiver.receive(['jobs']).catch((e: unknown) => e);
    const waitingLocal = receiver.receive([mine]).catch((e: unknown) => e);
    await sleep(100);

    await redis.kill();
    expect(await waitingShared).toBeInstanceOf(LayerUnavailable);
    expect(await waitingLocal).toBeInstanceOf(LayerUnavailable);
    await expect(sender.send('jobs', { type: 't' })).rejects.toBeInstanceOf(LayerUnavailable);
    await expect(receiver.receive(['jobs'])).rejects.toBeInstanceOf(LayerUnavailable);
    await expect(receiver.receive([mine])).rejects.toBeInstanceOf(LayerUnavailable);
    await expect(sender.groupSend('room', { type: 't' })).rejects.toBeInstanceOf(LayerUnavailable);

    await redis.start();
    await receiver.waitUntilReady();
    await sender.waitUntilReady();

    // Ordinary channels, process-specific channels and groups all work again (the restarted
    // Redis lost its scripts and data: scripts are reloaded, heartbeats re-registered).
    const again = once(() => receiver.receive(['jobs']));
    await once(() => sender.send('jobs', { type: 'after.restart' }));
    expect((await again)[0]?.message.type).toBe('after.restart');

    await once(() => sender.send(mine, { type: 'to.inbox' }));
    expect((await once(() => receiver.receive([mine])))[0]?.message.type).toBe('to.inbox');

    await sleep(200); // a heartbeat after the restart
    await sender.groupAdd('room', mine);
    await sender.groupSend('room', { type: 'to.group' });
    expect((await receiver.receive([mine]))[0]?.message.type).toBe('to.group');
  });

  it('keeps a receive waiting across a restart when the caller retries, losing nothing sent after', async () => {
    const receiver = await layer();
    const sender = await layer();
    const received: string[] = [];
    const stop = new AbortController();
    const loop = (async () => {
      while (!stop.signal.aborted) {
        try {
          for (const d of await receiver.receive(['steady'], { max: 10, signal: stop.signal })) received.push(d.message.type);
        } catch (error) {
          if (error instanceof LayerUnavailable) await sleep(50);
          else if (!stop.signal.aborted) throw error;
        }
      }
    })();
    await sender.send('steady', { type: 'one' });
    while (!received.includes('one')) await sleep(20); // Redis keeps no data across the kill
    await redis.kill();
    await redis.start();
    await sender.waitUntilReady();
    await once(() => sender.send('steady', { type: 'two' }));
    while (!received.includes('two')) await sleep(20);
    stop.abort();
    await loop;
    expect(received).toEqual(['one', 'two']);
  });
});
