/**
 * The quickstart on Redis with real processes: one `switchyard serve` and three
 * `switchyard worker`, real sockets, a redis-server of this file's own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.js';
import {
  QUICKSTART,
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
import { chat, chatPage, echoBody, hello, websocketEcho } from './quickstart-flows.js';
import { refusedHandshakeStatus } from './ws-client.js';

describe('quickstart: serve + three workers on Redis', () => {
  let redis: RedisServer;
  let layer: LayerEnv;
  let server: Listening;
  let workers: SwitchyardProcess[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    layer = { redisUrl: redis.url, prefix: randomPrefix('quickstart') };
    [server, ...workers] = await Promise.all([
      startServe(QUICKSTART, layer),
      startWorker(QUICKSTART, layer),
      startWorker(QUICKSTART, layer),
      startWorker(QUICKSTART, layer),
    ]);
    await waitForBlockedWorkers(redis.url, 3);
  });

  afterAll(async () => {
    await killAll();
    await redis?.stop();
  });

  it('GET / is the chat page, served by the interface server', () => chatPage(server));

  it('GET /hello answers 200 "hello" as text/plain', () => hello(server));

  it('POST /echo streams a 200 KiB random body back byte for byte', () => echoBody(server));

  it('WebSocket /ws/echo echoes text and binary frames', () => websocketEcho(server));

  it('WebSocket /ws/chat/:room: both members get every message, the sender included; another room gets none', () => chat(server));

  it('a WebSocket on a path the app does not take is refused with 404', async () => {
    expect(await refusedHandshakeStatus(`${server.wsUrl}/ws/nope`)).toBe(404);
  });

  it('the 404 for an unknown WebSocket path comes from the server itself: it needs no worker', async () => {
    // a second server on a namespace no worker serves: a refusal that needed a worker would
    // never come (or come as a 504), the server's own comes at once
    const lonely = await startServe(QUICKSTART, { redisUrl: redis.url, prefix: randomPrefix('no-workers') });
    try {
      expect(await refusedHandshakeStatus(`${lonely.wsUrl}/ws/nope`)).toBe(404);
    } finally {
      await lonely.proc.stop();
    }
  });

  it('workers starting on a reachable Redis log no error (the worker command takes messages before its layer is connected)', () => {
    for (const worker of workers) {
      const errors = worker.logs.filter((line) => line.level >= 50);
      expect(errors.map((line) => line.msg), `errors logged by worker ${worker.pid}`).toEqual([]);
    }
  });

  // last: it stops the workers
  it('work spreads over all three workers: each one\'s "worker stopped" line counts handled messages > 0', async () => {
    await waitForBlockedWorkers(redis.url, 3);
    for (let i = 0; i < 60; i++) {
      const response = await fetch(`${server.url}/hello`);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('hello');
    }
    const exits = await Promise.all(workers.map((worker) => worker.stop()));
    expect(exits.map((exit) => exit.code)).toEqual([0, 0, 0]);
    const counts = workers.map(handledCount);
    for (const count of counts) expect(count, `handled counts ${JSON.stringify(counts)}`).toBeGreaterThan(0);
    // At least the 60 above: the earlier tests' requests and WebSocket events count too.
    expect(counts.reduce((sum: number, count) => sum + (count ?? 0), 0)).toBeGreaterThanOrEqual(60);
  }, 30_000);
});
