/**
 * The app the durable-channel tests run in real `switchyard worker` processes. Every consumer
 * records what it does in Redis with a client of its own (REDIS_URL, keys under
 * `<SWITCHYARD_PREFIX>:rec:`), so a test reads what ran, where and when, whatever processes
 * died on the way (see ../support.ts for the reading side):
 *
 *     <rec>:exec:<channel>          hash  marker → runs started
 *     <rec>:times:<channel>:<m>     list  Date.now() at the start of each run
 *     <rec>:started:<pid>           set   "<channel>|<marker>" runs this process started
 *     <rec>:finished:<pid>          set   "<channel>|<marker>" runs this process finished
 *     <rec>:done:<channel>          hash  marker → Date.now() when a run finished without error
 *
 * Channels (all durable; the message is `{ type: 'job', marker, ms? }`):
 *
 *     crash     sleeps `ms`; short locks so a SIGKILLed worker's jobs come back fast
 *     flaky     fails the first `failTimes` runs of a job; exponential backoff from a minute, no jitter
 *     bounce    always throws Error('bounced'); 3 attempts
 *     mail      schema { type: 'mail.send', to: string, subject: string }
 *     later     plain (delayed sends)
 *     once      plain (idempotent sends)
 *     slow      sleeps `ms`; short locks (SIGTERM drains)
 *     enqueued  plain: the target of ctx.send from POST /enqueue and from the channel "relay"
 *     status    1 attempt, throws when `fail` is set
 *     limited   at most 5 jobs a second across all workers
 *     recover   plain (Redis going away)
 *
 * and an ordinary channel `relay` and a route `POST /enqueue?marker=M[&jobId=J]` that send to
 * `enqueued` with ctx.send.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { createApp, json, type ChannelContext, type WireMessage } from 'switchyard';

const rec = `${process.env.SWITCHYARD_PREFIX ?? 'switchyard'}:rec`;
// Lazy: `switchyard serve` loads this module only for its manifest.
let client: Redis | undefined;
function redis(): Redis {
  client ??= new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null, connectionName: 'durable-test-recorder' });
  return client;
}

interface Job extends WireMessage {
  marker: string;
  ms?: number;
  failTimes?: number;
  fail?: boolean;
}

/** Records the start of a run, runs `work`, records its end. */
async function recorded(channel: string, message: Job, work: (run: number) => Promise<void> | void): Promise<void> {
  const id = `${channel}|${message.marker}`;
  // One transaction: a worker killed at any point has recorded the run both as an execution
  // and as started by it, or neither (the crash test tells lost runs from wrong reruns by it).
  const results = await redis()
    .multi()
    .hincrby(`${rec}:exec:${channel}`, message.marker, 1)
    .rpush(`${rec}:times:${channel}:${message.marker}`, Date.now())
    .sadd(`${rec}:started:${process.pid}`, id)
    .exec();
  const run = results![0]![1] as number;
  try {
    await work(run);
    await redis().hset(`${rec}:done:${channel}`, message.marker, Date.now());
  } finally {
    await redis().sadd(`${rec}:finished:${process.pid}`, id);
  }
}

function job(work: (message: Job, run: number, ctx: ChannelContext) => Promise<void> | void = () => {}) {
  return (message: WireMessage, ctx: ChannelContext) => recorded(ctx.channel, message as Job, (run) => work(message as Job, run, ctx));
}

const sleepFor = async (message: Job): Promise<void> => {
  if (message.ms) await sleep(message.ms);
};

const app = createApp();

// A lock that outlives a busy machine's pauses (renewed every 1.5 s): a renewal missed under
// load would rerun a job no worker lost, which the crash test counts as a wrong duplicate.
app.channel('crash', job(sleepFor), { durable: { concurrency: 2, lockDurationMs: 3000, stalledIntervalMs: 500 } });

// A minute, longer than any test waits: a retry stays in the delayed set until the test
// promotes it, so the backoff BullMQ scheduled is read there without racing the clock.
app.channel(
  'flaky',
  job((message, run) => {
    if (run <= (message.failTimes ?? 0)) throw new Error(`flaky: run ${run} fails`);
  }),
  { durable: { attempts: 5, backoff: { type: 'exponential', delayMs: 60_000, jitter: 0 } } },
);

app.channel(
  'bounce',
  job(() => {
    throw new Error('bounced');
  }),
  { durable: { attempts: 3, backoff: { type: 'fixed', delayMs: 50, jitter: 0 } } },
);

const mail = z.object({ type: z.literal('mail.send'), to: z.string(), subject: z.string(), marker: z.string() });
app.channel('mail', job(), { schema: mail, durable: true });

app.channel('later', job(), { durable: true });
app.channel('once', job(), { durable: true });
app.channel('slow', job(sleepFor), { durable: { concurrency: 4, lockDurationMs: 1000, stalledIntervalMs: 500 } });
app.channel('enqueued', job(), { durable: true });

app.channel(
  'status',
  job((message) => {
    if (message.fail) throw new Error('status: failing on purpose');
  }),
  { durable: { attempts: 1 } },
);

app.channel('limited', job(), { durable: { concurrency: 5, rateLimit: { max: 5, durationMs: 1000 } } });
app.channel('recover', job(), { durable: true });

// Ordinary (real-time) channel and HTTP route that hand work to a durable channel.
app.channel('relay', async (message, ctx) => {
  await ctx.send('enqueued', { type: 'job', marker: String(message.marker) });
});

app.post('/enqueue', async (request, ctx) => {
  const marker = request.query.get('marker') ?? 'none';
  const jobId = request.query.get('jobId');
  await ctx.send('enqueued', { type: 'job', marker }, jobId === null ? {} : { jobId });
  return json({ queued: marker });
});

app.onShutdown(async () => {
  await client?.quit();
});

export default app;
