import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createApp, text, Worker } from '../../consumers/index.js';
import { startServer } from '../helpers/server-harness.js';

describe('overload: a channel whose workers fall behind', () => {
  it('answers new requests 503 on arrival once the requests already waiting could not start in time, and serves again when they have', async () => {
    const app = createApp().get('/slow', async () => {
      await sleep(200);
      return text('done');
    });
    const registry = new Registry();
    const harness = await startServer('memory', { limits: { responseTimeoutMs: 2_000 }, metrics: registry });
    const worker = new Worker(app, harness.workerLayer, { concurrency: 1, logger: pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() })) });
    await worker.start();
    try {
      // 5 served per second; 40 clients keep asking: a request would wait about 8 s.
      let stop = false;
      const statuses: number[] = [];
      const clients = Array.from({ length: 40 }, async () => {
        while (!stop) {
          const status = await fetch(`${harness.url}/slow`).then(async (res) => (await res.arrayBuffer(), res.status));
          statuses.push(status);
          if (status === 503) await sleep(20); // as a client honouring Retry-After would, sooner
        }
      });
      // Near the limit admissions and refusals alternate: ask until one is refused.
      let refused: Response | undefined;
      for (const until = Date.now() + 8_000; refused === undefined && Date.now() < until; await sleep(50)) {
        const res = await fetch(`${harness.url}/slow`);
        if (res.status === 503) refused = res;
        else await res.arrayBuffer();
      }
      expect(refused?.status).toBe(503);
      expect(refused!.headers.get('retry-after')).toBe('1');
      expect((await refused!.text()).trim()).toBe('server busy, try again later');
      await sleep(500);
      stop = true;
      await Promise.all(clients);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
      const refusals = statuses.filter((s) => s === 503).length;
      const warnings = harness.logs.filter((line) => line.level === 40).map((line) => line.msg);
      const episodes = warnings.filter((msg) => msg.includes('http.request is overloaded')).length;
      expect(episodes).toBeGreaterThanOrEqual(1);
      expect(episodes).toBeLessThan(refusals / 10); // per episode, not per request
      // Refused by the server on arrival (the worker's own late refusals are not counted here).
      expect((await registry.getSingleMetric('switchyard_http_overloaded_total')!.get()).values[0]!.value).toBeGreaterThan(0);
      // Once the waiting requests have drained, a request is served.
      await sleep(2_500);
      expect((await fetch(`${harness.url}/slow`)).status).toBe(200);
      expect(harness.logs.some((line) => line.msg.includes('http.request caught up'))).toBe(true);
    } finally {
      await worker.stop();
      await harness.close();
    }
  });
});
