/**
 * Durable channels on a real redis-server with real `switchyard worker` processes running
 * ./apps/durable-app.ts: retries with backoff, dead letters (attempts used up, schema), retry
 * of a dead letter, delayed and idempotent sends, ctx.send from HTTP and channel consumers,
 * `switchyard status`, rate limits. Each test has a prefix (and so queues) of its own.
 *
 * No test measures time: backoff and delays are read from the state BullMQ keeps (a job waits
 * in the delayed set, with the delay it was given), rate limiting from the limiter's keyspace
 * events in the order Redis ran them. Every wait is bounded.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DurableAdmin, RedisLayer, Worker, createApp, durableSender } from 'switchyard';
import { RedisServer } from '../helpers/redis-server.js';
import { SwitchyardProcess, childEnv, killAll, runSwitchyard, startServe } from '../helpers/processes.js';
import app from './apps/durable-app.js';
import { DURABLE_APP, DURABLE_ONLY_APP, Records, durableQueue, durableWorkers, layerFor, waitFor, waitForDurableWorkers } from './support.js';

type DurableCounts = Awaited<ReturnType<DurableAdmin['counts']>>;

const NOTHING_PENDING = { waiting: 0, active: 0, delayed: 0 };

describe('durable channels with worker processes', () => {
  let redis: RedisServer;
  const cleanups: (() => unknown)[] = [];

  /** A fresh prefix with a sender, an admin and the records reader on it. */
  const setup = (name: string) => {
    const layer = layerFor(redis.url, name);
    const config = { url: layer.redisUrl, prefix: layer.prefix };
    const sender = durableSender(app, config);
    const admin = new DurableAdmin(config);
    const records = new Records(layer.redisUrl, layer.prefix);
    cleanups.push(() => sender.close(), () => admin.close(), () => records.close());
    /** Waits until `channel` has nothing waiting, active or delayed, and these counts. */
    const settled = (channel: string, expected: Partial<DurableCounts>, timeoutMs = 15_000) =>
      waitFor(
        `${channel} to settle at ${JSON.stringify(expected)}`,
        async () => {
          const counts = await admin.counts(channel);
          return Object.entries({ ...NOTHING_PENDING, ...expected }).every(([k, v]) => counts[k as keyof DurableCounts] === v) && counts;
        },
        timeoutMs,
      );
    return { layer, sender, admin, records, settled };
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

  it('retries a failing job with exponential backoff (jitter 0): after failure n it waits in the delayed set with delay·2^(n-1), then runs again', async () => {
    const { layer, sender, records, settled } = setup('backoff');
    const bull = durableQueue(layer.redisUrl, layer.prefix, 'flaky');
    cleanups.push(bull.close);
    await durableWorkers(layer, 1, 'flaky');
    const id = await sender.send('flaky', { type: 'job', marker: 'f1', failTimes: 3 });

    // The channel's backoff starts at a minute (see the app): after each failure the job stays
    // delayed until promoted here, so what BullMQ scheduled is read without racing the clock.
    const retries: { run: number; state: string; delay: number; attemptsMade: number }[] = [];
    for (let run = 1; run <= 3; run++) {
      // State and runs first: once the job is delayed after run n it stays so, and only then is
      // its delay (reset to 0 by every promotion) the one this failure scheduled.
      await waitFor(`f1 delayed after failing run ${run}`, async () => (await records.runs('flaky', 'f1')) === run && (await bull.queue.getJobState(id)) === 'delayed');
      const job = (await bull.queue.getJob(id))!;
      retries.push({ run, state: await job.getState(), delay: job.delay, attemptsMade: job.attemptsMade });
      await job.promote();
    }
    expect(retries).toEqual([
      { run: 1, state: 'delayed', delay: 60_000, attemptsMade: 1 },
      { run: 2, state: 'delayed', delay: 120_000, attemptsMade: 2 },
      { run: 3, state: 'delayed', delay: 240_000, attemptsMade: 3 },
    ]);
    await settled('flaky', { completed: 1, failed: 0 });
    expect(await records.runs('flaky', 'f1')).toBe(4); // 3 failures, then success on the 4th run
  });

  it('a job that throws on every attempt goes to the dead letters after attempt 3, with its error, and never runs a 4th time', async () => {
    const { layer, sender, admin, records, settled } = setup('dead');
    await durableWorkers(layer, 1, 'bounce');
    const id = await sender.send('bounce', { type: 'job', marker: 'b1' });
    await settled('bounce', { completed: 0, failed: 1 });

    const dead = await admin.deadLetters('bounce');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id, error: 'bounced', attempts: 3, message: { type: 'job', marker: 'b1' } });
    expect(dead[0]!.failedAt).toBeInstanceOf(Date);
    expect(dead[0]!.stacktrace.join('\n')).toContain('bounced');
    // Nothing is waiting, delayed or active any more: no 4th run can come.
    expect(await records.runs('bounce', 'b1')).toBe(3);
  });

  it('a message that fails the channel schema goes to the dead letters at once (1 attempt), the error naming the field', async () => {
    const { layer, sender, admin, records, settled } = setup('schema');
    await durableWorkers(layer, 1, 'mail');
    const bad = await sender.send('mail', { type: 'mail.send', to: 42, subject: 'hi', marker: 'bad' });
    await sender.send('mail', { type: 'mail.send', to: 'a@example.com', subject: 'hi', marker: 'good' });
    await settled('mail', { completed: 1, failed: 1 });

    const dead = await admin.deadLetters('mail');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ id: bad, attempts: 1, message: { type: 'mail.send', to: 42, marker: 'bad' } });
    expect(dead[0]!.error).toMatch(/"to"/);
    expect(Object.fromEntries(await records.executions('mail'))).toEqual({ good: 1 }); // the consumer never saw the bad one
  });

  it('DurableAdmin.retry runs a dead letter again', async () => {
    const { layer, sender, admin, records, settled } = setup('retry');
    await durableWorkers(layer, 1, 'bounce');
    const id = await sender.send('bounce', { type: 'job', marker: 'r1' });
    await settled('bounce', { failed: 1 });
    expect(await records.runs('bounce', 'r1')).toBe(3);

    await admin.retry('bounce', id);
    await waitFor('the retried dead letter to run again', async () => (await records.runs('bounce', 'r1')) > 3);
    await settled('bounce', { failed: 1 });
    expect((await admin.deadLetters('bounce')).map((d) => d.id)).toEqual([id]);
    await expect(admin.retry('bounce', 'no-such-job')).rejects.toThrow(/no job no-such-job/);
  });

  it('DurableAdmin.retry starts the attempts over: a retried dead letter of a 3-attempt channel runs 3 more times', async () => {
    const { layer, sender, admin, records, settled } = setup('retry-attempts');
    await durableWorkers(layer, 1, 'bounce');
    const id = await sender.send('bounce', { type: 'job', marker: 'r2' });
    await settled('bounce', { failed: 1 });
    expect(await records.runs('bounce', 'r2')).toBe(3);

    await admin.retry('bounce', id);
    await waitFor('the retried dead letter to run again', async () => (await records.runs('bounce', 'r2')) > 3);
    await settled('bounce', { failed: 1 });
    const [dead] = await admin.deadLetters('bounce');
    // "Runs a dead letter again (its attempts start over)": 3 + 3 runs, and the dead letter shows 3 attempts.
    expect({ runs: await records.runs('bounce', 'r2'), attempts: dead?.attempts }).toEqual({ runs: 6, attempts: 3 });
  });

  it('a delayed send waits in the delayed set, not run while sends after it run, and runs once when its delay is over', async () => {
    const { layer, sender, admin, records, settled } = setup('delay');
    const bull = durableQueue(layer.redisUrl, layer.prefix, 'later');
    cleanups.push(bull.close);
    await durableWorkers(layer, 1, 'later');
    // An hour, longer than this test lasts: "not run yet" below is a state, not a race.
    const hourId = await sender.send('later', { type: 'job', marker: 'in-an-hour' }, { delayMs: 3_600_000 });
    expect(await admin.counts('later')).toEqual({ waiting: 0, active: 0, delayed: 1, completed: 0, failed: 0 });
    await sender.send('later', { type: 'job', marker: 'soon' }, { delayMs: 300 });
    await sender.send('later', { type: 'job', marker: 'now' });

    await settled('later', { completed: 2, delayed: 1 });
    expect(Object.fromEntries(await records.executions('later'))).toEqual({ soon: 1, now: 1 });
    const hour = (await bull.queue.getJob(hourId))!;
    expect({ state: await hour.getState(), delay: hour.delay }).toEqual({ state: 'delayed', delay: 3_600_000 });
  });

  it('sends with the same jobId enqueue one job: the consumer runs once', async () => {
    const { layer, sender, admin, records, settled } = setup('idempotent');
    await durableWorkers(layer, 1, 'once');
    const ids = await Promise.all([1, 2, 3].map(() => sender.send('once', { type: 'job', marker: 'o1' }, { jobId: 'order-17' })));
    expect(ids).toEqual(['order-17', 'order-17', 'order-17']);
    await settled('once', { completed: 1 });
    // Sent again after it completed (it is kept): still not run again.
    expect(await sender.send('once', { type: 'job', marker: 'o1' }, { jobId: 'order-17' })).toBe('order-17');
    const counts = await settled('once', { completed: 1, failed: 0 });
    expect(counts).toEqual({ waiting: 0, active: 0, delayed: 0, completed: 1, failed: 0 });
    expect(Object.fromEntries(await records.executions('once'))).toEqual({ o1: 1 });
    expect((await admin.channels()).includes('once')).toBe(true);
  });

  it('idempotent sends take any string as jobId, like the README\'s `thumb:${id}` and plain numbers', async () => {
    const { layer, sender, records, settled } = setup('idempotent-ids');
    await durableWorkers(layer, 1, 'once');
    const outcomes: Record<string, string> = {};
    for (const jobId of ['thumb:42', '17', 'a:b:c']) {
      for (let i = 0; i < 2; i++) {
        outcomes[`${jobId} #${i + 1}`] = await sender.send('once', { type: 'job', marker: jobId }, { jobId }).then(
          () => 'sent',
          (error: Error) => `rejected: ${error.message}`,
        );
      }
    }
    expect(outcomes).toEqual({ 'thumb:42 #1': 'sent', 'thumb:42 #2': 'sent', '17 #1': 'sent', '17 #2': 'sent', 'a:b:c #1': 'sent', 'a:b:c #2': 'sent' });
    await settled('once', { completed: 3 });
    expect(Object.fromEntries(await records.executions('once'))).toEqual({ 'thumb:42': 1, '17': 1, 'a:b:c': 1 });
  });

  it('ctx.send from an HTTP consumer and from an ordinary channel consumer enqueues durable jobs', async () => {
    const { layer, records, settled } = setup('ctx-send');
    const server = await startServe(DURABLE_APP, layer);
    await durableWorkers(layer, 1, 'enqueued');

    const response = await fetch(`${server.url}/enqueue?marker=from-http`, { method: 'POST' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ queued: 'from-http' });
    // ctx.send passes options: the same jobId twice is one job.
    for (let i = 0; i < 2; i++) {
      const again = await fetch(`${server.url}/enqueue?marker=with-id&jobId=http-1`, { method: 'POST' });
      expect(again.status).toBe(200);
    }

    const channelLayer = new RedisLayer({ url: layer.redisUrl, prefix: layer.prefix });
    try {
      await channelLayer.waitUntilReady(5_000);
      await channelLayer.send('relay', { type: 'relay', marker: 'from-channel' });
    } finally {
      await channelLayer.close();
    }

    await settled('enqueued', { completed: 3, failed: 0 });
    expect(Object.fromEntries(await records.executions('enqueued'))).toEqual({ 'from-http': 1, 'with-id': 1, 'from-channel': 1 });
  });

  it('switchyard status --json lists the durable channel with counts matching DurableAdmin', async () => {
    const { layer, sender, admin, settled } = setup('status');
    const [worker] = await durableWorkers(layer, 1, 'status');
    for (const marker of ['s1', 's2', 's3']) await sender.send('status', { type: 'job', marker });
    for (const marker of ['f1', 'f2']) await sender.send('status', { type: 'job', marker, fail: true });
    await sender.send('status', { type: 'job', marker: 'later' }, { delayMs: 60_000 });
    await settled('status', { completed: 3, failed: 2, delayed: 1 });
    expect((await worker!.stop()).code).toBe(0);
    for (const marker of ['w1', 'w2']) await sender.send('status', { type: 'job', marker }); // nobody takes them now

    const expected = { waiting: 2, active: 0, delayed: 1, completed: 3, failed: 2 };
    expect(await admin.counts('status')).toEqual(expected);
    const result = await runSwitchyard(['status', '--json'], { REDIS_URL: layer.redisUrl, SWITCHYARD_PREFIX: layer.prefix });
    expect(result, result.stderr).toMatchObject({ code: 0, timedOut: false });
    const snapshot = JSON.parse(result.stdout) as { durable: { channel: string; counts: DurableCounts }[] };
    const status = snapshot.durable.find((entry) => entry.channel === 'status');
    expect(status).toEqual({ channel: 'status', counts: expected });
    // Every durable channel status shows has the counts DurableAdmin reads.
    for (const entry of snapshot.durable) expect(entry.counts).toEqual(await admin.counts(entry.channel));
    expect(snapshot.durable.map((entry) => entry.channel)).toEqual(await admin.channels());
  });

  it('a rate limit of 5 jobs a second holds across two workers (10 job slots): no limiter window admits more than 5 of 15 jobs', async () => {
    const { layer, sender, records, settled } = setup('ratelimit');
    await durableWorkers(layer, 2, 'limited');
    // BullMQ's limiter is one counter key per queue: every job a worker takes INCRs it, the first
    // of a window also sets it to expire after durationMs, and its end (it expires, or BullMQ
    // DELs it when it finds it at its last millisecond) opens the next window. Its keyspace
    // events, in the order Redis ran them, count the jobs each window admitted.
    const limiterKey = `${layer.prefix}:durable:limited:limiter`;
    const events: string[] = [];
    // Connected before it subscribes: a SUBSCRIBE sent ahead of ioredis's ready check (INFO)
    // puts the connection in subscriber mode, the check fails and the subscription is lost.
    const subscriber = new Redis(layer.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    subscriber.on('error', () => {});
    subscriber.on('message', (_channel: string, event: string) => events.push(event));
    await subscriber.connect();
    await records.redis.config('SET', 'notify-keyspace-events', 'Kg$x'); // keyspace events of INCR ($), DEL (g) and expiries (x)
    try {
      await subscriber.subscribe(`__keyspace@0__:${limiterKey}`);
      const markers = Array.from({ length: 15 }, (_, i) => `l${i}`);
      await Promise.all(markers.map((marker) => sender.send('limited', { type: 'job', marker })));
      await settled('limited', { completed: 15, failed: 0 });
      expect(Object.fromEntries(await records.executions('limited'))).toEqual(Object.fromEntries(markers.map((m) => [m, 1])));

      await waitFor('the limiter events of 15 jobs', () => events.filter((event) => event === 'incrby').length >= 15).catch((error: Error) => {
        throw new Error(`${error.message}; events: ${events.join(' ')}`);
      });
      const windows: number[] = []; // jobs taken in each limiter window
      let current = 0;
      for (const event of events) {
        if (event === 'incrby') current += 1;
        else if ((event === 'expired' || event === 'del') && current > 0) {
          windows.push(current);
          current = 0;
        }
      }
      if (current > 0) windows.push(current);
      expect(windows.reduce((a, b) => a + b, 0), `jobs per window: ${windows.join(', ')}`).toBe(15);
      expect(windows.filter((n) => n > 5), `jobs per window: ${windows.join(', ')}`).toEqual([]);
    } finally {
      subscriber.disconnect();
      await records.redis.config('SET', 'notify-keyspace-events', '');
    }
  });

  it('a worker whose app has only durable channels logs "worker started"', async () => {
    const layer = layerFor(redis.url, 'durable-only');
    const records = new Records(layer.redisUrl, layer.prefix);
    cleanups.push(() => records.close());
    const worker = new SwitchyardProcess(['worker', DURABLE_ONLY_APP], childEnv({ REDIS_URL: layer.redisUrl, SWITCHYARD_PREFIX: layer.prefix }));
    await waitForDurableWorkers(layer.redisUrl, layer.prefix, 'thumbs', 1);
    // It does work: a job sent to it runs …
    const onlyApp = (await import('./apps/durable-only-app.js')).default;
    const sender = durableSender(onlyApp, { url: layer.redisUrl, prefix: layer.prefix });
    cleanups.push(() => sender.close());
    await sender.send('thumbs', { type: 'thumb', marker: 't1' });
    await waitFor('the job on the durable-only worker', async () => (await records.runs('thumbs', 't1')) === 1);
    // … and it said it started (the line startWorker() waits for).
    expect(worker.logs.map((line) => line.msg)).toContain('worker started');
  });

  it('an in-process Worker with durable channels runs their jobs, and stop() closes every Redis connection it opened for them', async () => {
    const { layer, records } = setup('in-process');
    const config = { url: layer.redisUrl, prefix: layer.prefix };
    const clients = async (): Promise<{ id: number; name: string }[]> =>
      ((await records.redis.client('LIST')) as string)
        .split('\n')
        .filter(Boolean)
        .map((line) => ({ id: Number(/\bid=(\d+)/.exec(line)?.[1]), name: /\bname=(\S*)/.exec(line)?.[1] ?? '' }));
    const before = Math.max(...(await clients()).map((c) => c.id));

    const ran: string[] = [];
    const inApp = createApp()
      .channel('inproc', (message) => void ran.push(String(message.marker)), { durable: true })
      .channel('kick', async (message, ctx) => ctx.send('inproc', { type: 'job', marker: String(message.marker) }));
    const channelLayer = new RedisLayer({ url: layer.redisUrl, prefix: layer.prefix });
    await channelLayer.waitUntilReady(5_000);
    const worker = new Worker(inApp, channelLayer, { durable: config, logger: pino({ level: 'silent' }) });
    await worker.start();
    try {
      await waitForDurableWorkers(layer.redisUrl, layer.prefix, 'inproc', 1);
      await channelLayer.send('kick', { type: 'kick', marker: 'k1' }); // ctx.send from a channel consumer, in process
      await waitFor('the in-process durable job', () => ran.includes('k1'));
    } finally {
      await worker.stop();
      await channelLayer.close();
    }

    // Connections this worker opened that are still there once it stopped (a stopped worker
    // must not keep Redis connections, which also keep the process alive).
    const left = await waitFor(
      'the stopped worker to close its connections',
      async () => {
        const mine = (await clients()).filter((c) => c.id > before && c.name.startsWith('switchyard-durable'));
        return mine.length === 0 ? [] : undefined;
      },
      3_000,
    ).catch(async () => (await clients()).filter((c) => c.id > before && c.name.startsWith('switchyard-durable')).map((c) => c.name));
    expect(left).toEqual([]);
  });
});
