import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createApp, text, Worker } from '../../consumers/index.js';
import { startServer } from '../helpers/server-harness.js';

describe('overload: a channel whose workers fall behind', () => {
  it('answers new requests 503 on arrival once the requests already waiting could not start in time, and serves again when they have', async () => {
    let runs = 0;
    const app = createApp().get('/slow', async () => {
      runs++;
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
        while (!stop) statuses.push(await fetch(`${harness.url}/slow`).then(async (res) => (await res.arrayBuffer(), res.status)));
      });
      await sleep(2_500);
      const runsBefore = runs;
      const refused = await fetch(`${harness.url}/slow`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect((await refused.text()).trim()).toBe('server busy, try again later');
      stop = true;
      await Promise.all(clients);
      expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
      expect(runs - runsBefore).toBeLessThan(40); // the refused ones never reached the worker
      const warnings = harness.logs.filter((line) => line.level === 40).map((line) => line.msg);
      expect(warnings.filter((msg) => msg.includes('http.request is overloaded'))).toHaveLength(1); // once, not per request
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
