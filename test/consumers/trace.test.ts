import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApp, text } from '../../consumers/index.js';
import { HttpCommunicator, TestBed } from '../../consumers/testing/index.js';
import { RedisServer } from '../helpers/redis-server.js';
import { httpWorker, type ScriptedWorker } from '../helpers/scripted-worker.js';
import { startServer, type Harness } from '../helpers/server-harness.js';

const GIVEN = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

describe('trace context', () => {
  let harness: Harness | undefined;
  let worker: ScriptedWorker | undefined;
  afterEach(async () => {
    await harness?.close();
    await worker?.stop();
  });

  it('the server keeps a valid traceparent and starts a new trace otherwise', async () => {
    harness = await startServer('memory');
    const seen: unknown[] = [];
    worker = httpWorker(harness.workerLayer, async (io) => {
      seen.push(io.request.traceparent);
      await io.start(204);
      await io.body('');
    });
    await fetch(`${harness.url}/a`, { headers: { traceparent: GIVEN } });
    await fetch(`${harness.url}/b`);
    await fetch(`${harness.url}/c`, { headers: { traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' } });
    expect(seen[0]).toBe(GIVEN);
    expect(seen[1]).toMatch(TRACEPARENT);
    expect(seen[2]).toMatch(TRACEPARENT);
    expect(new Set(seen).size).toBe(3);
  });

  describe('into consumers, their logs and durable jobs', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await RedisServer.start();
    });
    afterAll(async () => {
      await redis.stop();
    });

    it('carries the request trace to the HTTP consumer, its log lines and the durable job it enqueues', async () => {
      const logs: { msg: string; trace_id?: string }[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _e, done) {
          for (const line of chunk.toString().split('\n')) if (line) logs.push(JSON.parse(line));
          done();
        },
      });
      const jobTraces: (string | undefined)[] = [];
      const app = createApp()
        .post('/enqueue', async (_req, ctx) => {
          ctx.log.info('enqueueing');
          await ctx.send('jobs', { type: 'job.run' });
          return text('queued');
        })
        .channel('jobs', (_m, ctx) => {
          jobTraces.push(ctx.traceparent);
          ctx.log.info('job ran');
        }, { durable: { attempts: 1 } });
      const bed = new TestBed(app, { durable: { url: redis.url, prefix: `trace-${Date.now()}` }, logger: pino({ level: 'info' }, sink) });
      try {
        const res = await new HttpCommunicator(bed).post('/enqueue', { headers: { traceparent: GIVEN } });
        expect(res.text()).toBe('queued');
        await expect.poll(() => jobTraces).toEqual([GIVEN]);
        const traceIdOfGiven = GIVEN.slice(3, 35);
        expect(logs.find((l) => l.msg === 'enqueueing')?.trace_id).toBe(traceIdOfGiven);
        expect(logs.find((l) => l.msg === 'job ran')?.trace_id).toBe(traceIdOfGiven);
      } finally {
        await bed.close();
      }
    });
  });
});
