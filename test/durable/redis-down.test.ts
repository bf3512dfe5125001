/**
 * Durable channels while Redis is away: sends fail at once with LayerUnavailable (no hang, no
 * queueing in memory), and once Redis is back on the same port, sends succeed again and the
 * worker that kept running takes the new jobs by itself. This file kills its redis-server, so
 * it has one of its own.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DurableAdmin, LayerUnavailable, durableSender } from 'switchyard';
import { RedisServer } from '../helpers/redis-server.js';
import { killAll } from '../helpers/processes.js';
import app from './apps/durable-app.js';
import { Records, durableWorkers, layerFor, waitFor, within } from './support.js';

/** A send's outcome, whatever it is. */
const settle = (send: Promise<string>): Promise<{ id: string } | { error: unknown }> =>
  send.then(
    (id) => ({ id }),
    (error: unknown) => ({ error }),
  );

describe('durable channels while Redis is down', () => {
  let redis: RedisServer;
  /** Set while a test has the server killed, so afterEach brings it back. */
  let down = false;
  const killRedis = async (): Promise<void> => {
    down = true;
    await redis.kill();
  };
  const restartRedis = async (): Promise<void> => {
    await redis.start();
    down = false;
  };
  const cleanups: (() => unknown)[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterEach(async () => {
    if (down) await restartRedis();
    await killAll();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  afterAll(async () => {
    await killAll();
    await redis?.stop();
  });

  it('a send while Redis is killed rejects with LayerUnavailable at once; after Redis restarts, sends succeed and the running worker takes them', async () => {
    const layer = layerFor(redis.url, 'down');
    const config = { url: layer.redisUrl, prefix: layer.prefix };
    const sender = durableSender(app, config);
    const records = new Records(layer.redisUrl, layer.prefix);
    cleanups.push(() => sender.close(), () => records.close());
    const [worker] = await durableWorkers(layer, 1, 'recover');
    await sender.send('recover', { type: 'job', marker: 'before' });
    await waitFor('the job sent before the outage', async () => (await records.runs('recover', 'before')) === 1);

    await killRedis();
    // Once the outage is seen on this side too (a client of the test's own has lost its connection) …
    await waitFor('the test\'s own client to see Redis gone', () => records.redis.status !== 'ready', 5_000, 10);
    await sleep(50);
    // … a send fails at once, with LayerUnavailable: not a hang, not queued in memory.
    const outcome = await within(5_000, 'a send while Redis is down', settle(sender.send('recover', { type: 'job', marker: 'during' })));
    expect('error' in outcome && outcome.error).toBeInstanceOf(LayerUnavailable);

    await restartRedis(); // same port, empty (no persistence)
    const id = await waitFor(
      'a send to succeed after the restart',
      async () => {
        const result = await within(5_000, 'a send after the restart', settle(sender.send('recover', { type: 'job', marker: 'after' }, { jobId: 'after-restart' })));
        return 'id' in result ? result.id : undefined;
      },
      20_000,
      250,
    );
    expect(id).toBe('after-restart');

    // The same worker process, never restarted, runs it.
    await waitFor('the running worker to take the job sent after the restart', async () => (await records.runs('recover', 'after')) === 1, 20_000, 100);
    expect(worker!.hasExited).toBe(false);
    // The app counts a run before it records who started it: wait for that record too.
    await waitFor('the start record of the job sent after the restart', async () => (await records.started(worker!.pid)).has('recover|after'));
    const admin = new DurableAdmin(config);
    cleanups.push(() => admin.close());
    await waitFor('the job to be completed', async () => (await admin.counts('recover')).completed === 1);
  }, 60_000);

  it('a send right as Redis dies rejects with LayerUnavailable too, never with ioredis\' own "Stream isn\'t writeable" error (60 kills: the moment is a race, about 1 in 10 hits it)', async () => {
    const layer = layerFor(redis.url, 'dying');
    const sender = durableSender(app, { url: layer.redisUrl, prefix: layer.prefix });
    cleanups.push(() => sender.close());
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < 60; round++) {
      if (down) await restartRedis();
      // Connected (again): a send goes through.
      await waitFor('a send to go through', async () => 'id' in (await settle(sender.send('recover', { type: 'job', marker: `ok-${round}` }))), 10_000, 20);
      await killRedis();
      // The send comes as soon as the server is gone (as a request arriving at that moment would).
      const outcome = await within(5_000, 'a send as Redis dies', settle(sender.send('recover', { type: 'job', marker: `dying-${round}` })));
      const seen = 'id' in outcome ? 'resolved' : outcome.error instanceof LayerUnavailable ? 'LayerUnavailable' : `${(outcome.error as Error).name}: ${(outcome.error as Error).message}`;
      outcomes[seen] = (outcomes[seen] ?? 0) + 1;
    }
    expect(outcomes).toEqual({ LayerUnavailable: 60 });
  }, 60_000);

  it('the first send on a durable channel while Redis is down rejects with LayerUnavailable too (a sender created during the outage)', async () => {
    const layer = layerFor(redis.url, 'down-fresh');
    const config = { url: layer.redisUrl, prefix: layer.prefix };
    await killRedis();
    const sender = durableSender(app, config);
    cleanups.push(() => sender.close());
    const outcome = await within(10_000, 'the first send of a sender created while Redis is down', settle(sender.send('recover', { type: 'job', marker: 'fresh' }))).catch(
      (error: Error) => ({ hung: error.message }),
    );
    expect(outcome).toMatchObject({ error: expect.any(LayerUnavailable) });
  }, 30_000);
});
