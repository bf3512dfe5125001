/**
 * Workers dying or stopping with a request in their hands, with real processes: a SIGKILL
 * leaves no request unanswered, a SIGTERM drains. Runs the tiny app in ./apps/slow-app.ts.
 */
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.js';
import {
  ROOT,
  handledCount,
  killAll,
  randomPrefix,
  startServe,
  startWorker,
  waitForBlockedWorkers,
  type LayerEnv,
  type Listening,
  type SwitchyardProcess,
} from '../helpers/processes.js';

const SLOW_APP = relative(ROOT, fileURLToPath(new URL('./apps/slow-app.ts', import.meta.url)));
/** The server's --response-timeout: a request no worker starts answering in time gets a 504. */
const RESPONSE_TIMEOUT_MS = 5000;

/** The request's outcome, whatever it is: a settled fetch is all these tests need to see. */
async function outcome(request: Promise<Response>): Promise<{ status: number; body: string } | { error: string }> {
  try {
    const response = await request;
    return { status: response.status, body: await response.text() };
  } catch (error) {
    return { error: String(error) };
  }
}

describe('workers going away with a request in their hands', () => {
  let redis: RedisServer;
  let layer: LayerEnv;
  let server: Listening;
  const workers: SwitchyardProcess[] = [];

  const worker = async (flags: string[] = []): Promise<SwitchyardProcess> => {
    const started = await startWorker(SLOW_APP, layer, flags);
    workers.push(started);
    return started;
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
    layer = { redisUrl: redis.url, prefix: randomPrefix('failover') };
    server = await startServe(SLOW_APP, layer, ['--response-timeout', String(RESPONSE_TIMEOUT_MS)]);
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()));
  });

  afterAll(async () => {
    await killAll();
    await redis?.stop();
  });

  it('a worker SIGKILLed mid-request: the request still gets an answer (504), and other workers carry on', async () => {
    const doomed = await worker();
    await waitForBlockedWorkers(redis.url, 1);
    const request = outcome(fetch(`${server.url}/slow?ms=60000&id=doomed`));
    await doomed.waitForLog((line) => line.msg === 'slow request started' && line.id === 'doomed', 'the slow request starting');
    expect((await doomed.kill()).signal).toBe('SIGKILL');

    expect(await request).toMatchObject({ status: 504 });

    const others = await Promise.all([worker(), worker()]);
    await waitForBlockedWorkers(redis.url, 2);
    const pids = others.map((w) => String(w.pid));
    for (let i = 0; i < 6; i++) {
      const response = await fetch(`${server.url}/pid`);
      expect(response.status).toBe(200);
      expect(pids).toContain(await response.text());
    }
  }, 30_000);

  it('SIGTERM drains: the request in hand completes with 200, the worker exits 0, what it had not taken goes to the next worker', async () => {
    const draining = await worker(['--drain-timeout', '20000']);
    await waitForBlockedWorkers(redis.url, 1);
    const inHand = outcome(fetch(`${server.url}/slow?ms=1500&id=drained`));
    await draining.waitForLog((line) => line.msg === 'slow request started' && line.id === 'drained', 'the slow request starting');
    draining.signal('SIGTERM');
    await draining.waitForMessage('shutting down');

    // sent while the only worker drains: it must stay on the layer for the next worker
    const waiting = outcome(fetch(`${server.url}/pid`));
    expect(await inHand).toEqual({ status: 200, body: `slept 1500 in ${draining.pid}` });
    expect(await draining.exited).toEqual({ code: 0, signal: null });
    expect(handledCount(draining)).toBe(1);

    const next = await worker();
    expect(await waiting).toEqual({ status: 200, body: String(next.pid) });
    const response = await fetch(`${server.url}/slow?ms=10&id=after`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe(`slept 10 in ${next.pid}`);
  }, 30_000);
});
