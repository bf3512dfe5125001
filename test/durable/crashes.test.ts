/**
 * Durable channels when worker processes die: SIGKILLed workers lose no job (at least once,
 * with duplicates only of what they had in hand), and a SIGTERMed worker finishes its jobs
 * itself. Real `switchyard worker` processes running ./apps/durable-app.ts on a real
 * redis-server; the consumers record every run in Redis (see support.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DurableAdmin, durableSender } from 'switchyard';
import { RedisServer } from '../helpers/redis-server.js';
import { killAll, startWorker, type SwitchyardProcess } from '../helpers/processes.js';
import app from './apps/durable-app.js';
import { DURABLE_APP, Records, durableWorkers, layerFor, waitFor, waitForDurableWorkers } from './support.js';

/**
 * mulberry32: a small seeded PRNG, so the job durations, the pauses between kills and the choice
 * of victims are the same on every run with the same seed (where a kill lands in a job still
 * depends on the machine's timing). CRASH_SEED=<n> replays or explores another seed.
 */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const SEED = Number(process.env.CRASH_SEED ?? 20_240_611);

describe('durable channels with workers dying', () => {
  let redis: RedisServer;
  const cleanups: (() => unknown)[] = [];

  const setup = (name: string) => {
    const layer = layerFor(redis.url, name);
    const config = { url: layer.redisUrl, prefix: layer.prefix };
    const sender = durableSender(app, config);
    const admin = new DurableAdmin(config);
    const records = new Records(layer.redisUrl, layer.prefix);
    cleanups.push(() => sender.close(), () => admin.close(), () => records.close());
    return { layer, sender, admin, records };
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterEach(async () => {
    await killAll();
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  afterAll(async () => {
    await killAll();
    await redis?.stop();
  });

  it(`200 jobs, 3 workers, 5 SIGKILLs at random points (seed ${SEED}): every job completes, none lost, and only jobs a killed worker had in hand run twice`, async () => {
    const N = 200;
    const KILLS = 5;
    const random = mulberry32(SEED);
    const { layer, sender, admin, records } = setup('crash');
    const live: SwitchyardProcess[] = await durableWorkers(layer, 3, 'crash');
    const replacements: Promise<SwitchyardProcess>[] = [];
    const killed: number[] = [];

    const markers = Array.from({ length: N }, (_, i) => `job-${i}`);
    await Promise.all(markers.map((marker) => sender.send('crash', { type: 'job', marker, ms: 50 + Math.floor(random() * 100) })));

    for (let k = 0; k < KILLS; k++) {
      await sleep(250 + Math.floor(random() * 400));
      // Replacements that have come up join the pool of candidates.
      const victim = live.splice(Math.floor(random() * live.length), 1)[0]!;
      expect((await victim.kill()).signal).toBe('SIGKILL');
      killed.push(victim.pid);
      const replacement = startWorker(DURABLE_APP, layer);
      replacements.push(replacement);
      void replacement.then((w) => live.push(w), () => {});
      if (live.length === 0) live.push(await replacement);
    }
    await Promise.all(replacements);

    const counts = await waitFor(
      `all ${N} jobs to complete`,
      async () => {
        const c = await admin.counts('crash');
        return c.completed + c.failed === N && c.waiting + c.active + c.delayed === 0 && c;
      },
      45_000,
      100,
    );
    expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0, completed: N, failed: 0 });

    const executions = await records.executions('crash');
    const done = await records.done('crash');
    expect([...executions.keys()].sort()).toEqual([...markers].sort()); // every job ran …
    expect([...done.keys()].sort()).toEqual([...markers].sort()); // … and every one ran to its end
    const total = [...executions.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(N); // more when kills hit running jobs: which ones ran again is checked below

    // What each killed worker had started, and what of that it had not finished when it died.
    const startedByKilled = new Set<string>();
    const inHand = new Set<string>();
    for (const pid of killed) {
      const [started, finished] = await Promise.all([records.started(pid), records.finished(pid)]);
      for (const id of started) {
        startedByKilled.add(id);
        if (!finished.has(id)) inHand.add(id);
      }
    }
    const duplicates = [...executions].filter(([, n]) => n > 1).map(([marker]) => `crash|${marker}`);
    console.log(
      `[durable crash test, seed ${SEED}] ${N} jobs, ${KILLS} SIGKILLs: ${total} executions, ${duplicates.length} job(s) ran more than once, ` +
        `${inHand.size} job(s) were mid-run in a killed worker`,
    );
    // The kills did hit running jobs (otherwise this test proved nothing) …
    expect(inHand.size).toBeGreaterThan(0);
    // … each of which ran again elsewhere (it completed, and its killed run never finished) …
    for (const id of inHand) expect(executions.get(id.slice('crash|'.length)), `${id} was mid-run in a killed worker`).toBeGreaterThanOrEqual(2);
    // … and a job ran twice only if a killed worker had it in hand.
    expect(duplicates.filter((id) => !startedByKilled.has(id))).toEqual([]);
  }, 75_000);

  it('SIGTERM: a worker with jobs in hand finishes them itself (each runs exactly once), takes no new ones, and exits 0', async () => {
    const { layer, sender, admin, records } = setup('sigterm');
    const [draining] = await durableWorkers(layer, 1, 'slow');
    // Each job outlives the channel's 1 s lock several times: only lock renewal during the drain keeps it from another worker.
    const inHand = ['t1', 't2', 't3', 't4'];
    for (const marker of inHand) await sender.send('slow', { type: 'job', marker, ms: 3000 });
    await waitFor('the first worker to have all 4 jobs in hand', async () => (await records.started(draining!.pid)).size === 4);

    const other = await startWorker(DURABLE_APP, layer);
    await waitForDurableWorkers(layer.redisUrl, layer.prefix, 'slow', 2);
    draining!.signal('SIGTERM');
    await draining!.waitForMessage('shutting down');
    // Sent while it drains: for the other worker.
    const later = ['n1', 'n2'];
    for (const marker of later) await sender.send('slow', { type: 'job', marker, ms: 10 });

    const exit = await draining!.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const finishedByDraining = await records.finished(draining!.pid);
    expect([...finishedByDraining].sort()).toEqual(inHand.map((m) => `slow|${m}`));

    await waitFor('all 6 jobs to complete', async () => {
      const c = await admin.counts('slow');
      return c.completed === 6 && c.waiting + c.active + c.delayed === 0;
    });
    expect(await admin.counts('slow')).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 6, failed: 0 });
    expect(Object.fromEntries(await records.executions('slow'))).toEqual({ t1: 1, t2: 1, t3: 1, t4: 1, n1: 1, n2: 1 });
    expect([...(await records.started(other.pid))].sort()).toEqual(later.map((m) => `slow|${m}`));
  }, 30_000);
});
