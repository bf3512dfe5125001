import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, randomPrefix, startServeAlone, type Listening } from '../helpers/processes.js';
import { startPythonWorker, type PythonWorker } from '../helpers/python-worker.js';
import { RedisServer } from '../helpers/redis-server.js';
import { WsClient } from '../e2e/ws-client.js';

/**
 * switchyard's own consumer model in Python (workers/python/switchyard_asgi/consumers.py) behind
 * a real `switchyard serve`, with two Python workers: an HTTP handler, a named channel fed by it,
 * and a WebSocket chat room whose connections, on either worker for any event, meet through a
 * group and keep their state in the server.
 */
describe("switchyard's consumer model in Python", () => {
  let redis: RedisServer;
  let server: Listening;
  const workers: PythonWorker[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
    const layer = { redisUrl: redis.url, prefix: randomPrefix('pyconsumers') };
    server = await startServeAlone(layer);
    workers.push(await startPythonWorker('consumers_app:app', layer), await startPythonWorker('consumers_app:app', layer));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await killAll();
    await redis?.stop();
  });

  it('answers an HTTP handler', async () => {
    const response = await fetch(`${server.url}/hello?name=py`);
    expect([response.status, await response.text()]).toEqual([200, 'hello py']);
  });

  it('hands messages an HTTP handler sends on a named channel to its consumer', async () => {
    for (let n = 1; n <= 6; n++) expect((await fetch(`${server.url}/jobs`, { method: 'POST', body: JSON.stringify({ n }) })).status).toBe(202);
    // Each worker keeps its own list: ask both (requests land on either), until all six are in.
    let seen: number[] = [];
    for (let tries = 0; seen.length < 6 && tries < 100; tries++) {
      const lists = await Promise.all([...Array(8)].map(async () => (await (await fetch(`${server.url}/jobs`)).json()) as number[]));
      seen = [...new Set(lists.flat())].sort((a, b) => a - b);
      if (seen.length < 6) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('runs a chat room over a group, each event on any worker, with the state the server carries', async () => {
    const alice = await WsClient.open(`${server.wsUrl}/ws/chat/lobby`);
    const bob = await WsClient.open(`${server.wsUrl}/ws/chat/lobby`);
    try {
      await alice.send('name:alice');
      await bob.send('name:bob');
      await alice.send('hi');
      expect((await bob.waitForMessages(1))[0]!.text).toBe('alice: hi');
      await bob.send('hello');
      expect((await alice.waitForMessages(2)).map((m) => m.text)).toEqual(['alice: hi', 'bob: hello']);
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }
  });
});
