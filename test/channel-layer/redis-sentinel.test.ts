import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayerUnavailable, RedisLayer, type Delivery, type RedisLayerOptionsInput } from '../../channel-layer/index.js';
import { startRedisSentinel, type RedisSentinel } from '../helpers/redis-cluster.js';
import { channelLayerContract } from './contract.js';

/**
 * The Redis layer on a primary that Sentinel watches over (1 primary, 1 replica, 3 sentinels of
 * the test's own): the whole contract unchanged, then the primary killed under load.
 */
let sentinel: RedisSentinel;
const layers: RedisLayer[] = [];

beforeAll(async () => {
  sentinel = await startRedisSentinel();
}, 60_000);

afterAll(async () => {
  await Promise.all(layers.splice(0).map((layer) => layer.close()));
  await sentinel?.stop();
});

function sentinelLayer(prefix: string, options: Omit<RedisLayerOptionsInput, 'url' | 'prefix'> = {}): RedisLayer {
  // The URL gives what it says beyond the address (here nothing): the sentinels name the primary.
  const layer = new RedisLayer({ ...options, url: 'redis://127.0.0.1', sentinels: sentinel.sentinels, sentinelMaster: sentinel.masterName, prefix });
  layers.push(layer);
  return layer;
}

channelLayerContract('redis (sentinel)', () => {
  const prefix = `sentinel-${Math.random().toString(36).slice(2, 10)}`;
  return async (options = {}) => {
    const layer = sentinelLayer(prefix, options);
    await layer.waitUntilReady();
    return layer;
  };
});

describe('redis (sentinel) failover', () => {
  it('a primary killed under load: sends fail fast with LayerUnavailable meanwhile (none hangs), then the layer goes on by itself on the promoted replica, losing nothing sent after', async () => {
    const sender = sentinelLayer('failover');
    const receiver = sentinelLayer('failover');
    await Promise.all([sender.waitUntilReady(), receiver.waitUntilReady()]);
    const got: number[] = [];
    let receiving = true;
    const reader = (async () => {
      while (receiving) {
        try {
          const batch: Delivery[] = await receiver.receive(['jobs'], { max: 100, signal: AbortSignal.timeout(500) });
          for (const { message } of batch) got.push(message.i as number);
        } catch (error) {
          // Redis away (or no message within the timeout): a moment before trying again, as a worker does.
          if (!(error instanceof LayerUnavailable) && (error as Error).name !== 'TimeoutError') throw error;
          if (error instanceof LayerUnavailable) await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    })();

    const outcomes: { i: number; outcome: 'sent' | 'unavailable' }[] = [];
    let failedOver = false;
    let sentAfter = 0;
    const killed = sentinel.primary.port;
    const failover = (async () => {
      await sentinel.kill(killed);
      await sentinel.waitForFailover();
      failedOver = true;
    })();
    for (let i = 0; sentAfter < 50; i++) {
      // Bounded: a send that neither resolves nor rejects within 10 s is a hang, and fails the test.
      const outcome = await Promise.race([
        sender.send('jobs', { type: 'job', i }).then(
          () => 'sent' as const,
          (error: unknown) => {
            if (error instanceof LayerUnavailable) return 'unavailable' as const;
            throw error;
          },
        ),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`send ${i} hung`)), 10_000).unref()),
      ]);
      outcomes.push({ i, outcome });
      if (failedOver && outcome === 'sent') sentAfter++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (i > 20_000) throw new Error('the layer never came back after the failover');
    }
    await failover;
    expect(sentinel.primary.port).not.toBe(killed);

    // Everything sent once the replica was promoted arrives, once each.
    const after = outcomes.filter((o, index) => o.outcome === 'sent' && index >= outcomes.length - 50).map((o) => o.i);
    for (let waited = 0; !after.every((i) => got.includes(i)) && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 100));
    receiving = false;
    await reader;
    expect(after.filter((i) => !got.includes(i))).toEqual([]);
    expect(new Set(got).size).toBe(got.length);
    // Sends that met the outage were told so (at most once: those in flight may be lost).
    expect(outcomes.some((o) => o.outcome === 'unavailable')).toBe(true);
  }, 60_000);
});
