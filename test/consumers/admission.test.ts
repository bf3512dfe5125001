import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryLayer, type WireMessage } from '../../channel-layer/index.js';
import { createApp, text, Worker } from '../../consumers/index.js';
import { Admission } from '../../consumers/http/admission.js';

async function waitFor(test: () => boolean, ms = 5000): Promise<void> {
  for (const until = Date.now() + ms; !test(); await sleep(20)) if (Date.now() > until) throw new Error('not within time');
}

describe('Admission: work nobody waits for is not done', () => {
  it('runs requests without a deadline or with time to spare, drops expired ones, and answers late ones', () => {
    const admission = new Admission();
    expect(admission.verdict('GET /a', undefined, 1000)).toBe('run');
    expect(admission.verdict('GET /a', 1000, 1000)).toBe('expired');
    expect(admission.verdict('GET /a', 1001, 1000)).toBe('run'); // nothing known of its time yet
    admission.took('GET /a', 200);
    expect(admission.verdict('GET /a', 1100, 1000)).toBe('late');
    expect(admission.verdict('GET /a', 1300, 1000)).toBe('run');
    expect(admission.verdict('GET /b', 1100, 1000)).toBe('run'); // each consumer its own time
    for (let i = 0; i < 30; i++) admission.took('GET /a', 10); // it got faster
    expect(admission.verdict('GET /a', 1100, 1000)).toBe('run');
    expect(admission.shed).toEqual({ expired: 1, late: 1 });
  });
});

describe('a worker under overload', () => {
  it('drops a request whose client stopped waiting, answers 503 to one it could not finish in time, and runs the rest', async () => {
    let runs = 0;
    let slowNext = 200;
    const aborted: number[] = [];
    const app = createApp().get('/slow', async (_request, ctx) => {
      runs++;
      const ms = slowNext;
      ctx.signal.addEventListener('abort', () => aborted.push(Date.now()));
      await sleep(ms, undefined, { signal: ctx.signal }).catch(() => {});
      return text('done');
    });
    const layer = new MemoryLayer();
    const worker = new Worker(app, layer, { logger: pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() })) });
    await worker.start();
    const ask = async (deadline: number | undefined): Promise<WireMessage[]> => {
      const replies: WireMessage[] = [];
      let done: () => void = () => {};
      const finished = new Promise<void>((resolve) => (done = resolve));
      const reply = layer.openChannel({ deliver: (m) => void (replies.push(m), m.type === 'http.response' && done()), lost: () => done() });
      await layer.send('http.request', {
        type: 'http.request', reply_channel: reply, http_version: '1.1', path: '/slow', raw_path: Buffer.from('/slow'), query_string: Buffer.alloc(0),
        headers: [['host', 'test']], client: null, server: null, method: 'GET', scheme: 'http', body: Buffer.alloc(0), more_body: false,
        ...(deadline === undefined ? {} : { deadline }),
      });
      await Promise.race([finished, sleep(1000)]);
      layer.releaseChannel(reply);
      return replies.filter((m) => m.type !== 'http.request.pull'); // the consumer looked at its signal
    };
    try {
      const first = await ask(Date.now() + 30_000);
      expect(first[0]).toMatchObject({ type: 'http.response', status: 200 });
      expect(runs).toBe(1);
      expect(await ask(Date.now() - 1)).toEqual([]); // expired: not run, nobody to answer
      expect(runs).toBe(1);
      const late = await ask(Date.now() + 50); // 50 ms left, the consumer takes 200
      expect(late[0]).toMatchObject({ type: 'http.response', status: 503, headers: expect.arrayContaining([['retry-after', '1']]) });
      expect(runs).toBe(1);
      expect((await ask(undefined))[0]).toMatchObject({ status: 200 }); // no deadline: runs
      expect(runs).toBe(2);
      // Time enough by its typical time, but the client stops waiting before it finishes this
      // once: the consumer is stopped at the deadline (its signal aborts), not at its own timeout.
      slowNext = 5000;
      aborted.length = 0; // (the runs before ended their signals as they finished)
      const stoppedAt = Date.now() + 400;
      await ask(stoppedAt);
      await waitFor(() => aborted.length === 1);
      expect(aborted[0]!).toBeGreaterThanOrEqual(stoppedAt - 50);
    } finally {
      await worker.stop();
      await layer.close();
    }
  });
});
