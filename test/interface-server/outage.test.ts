/**
 * Issue 13, case 4: open WebSockets ride out a short Redis outage (the layer's outageGraceMs),
 * with a real redis-server killed and started again on the same port.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import type { LayerOptionsInput } from '../../channel-layer/index.js';
import { closeOf, openWebSocket, waitUntil, wsUrl } from '../helpers/limits-clients.js';
import { RedisServer } from '../helpers/redis-server.js';
import { websocketWorker, type ScriptedWorker } from '../helpers/scripted-worker.js';
import { startServer, type Harness } from '../helpers/server-harness.js';

let redis: RedisServer;
let harness: Harness | undefined;
let worker: ScriptedWorker | undefined;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await worker?.stop();
  await harness?.close();
  worker = undefined;
  harness = undefined;
});
afterAll(() => redis.stop());

async function echoing(graceMs: number): Promise<{ open: () => Promise<{ ws: WebSocket; got: string[] }> }> {
  harness = await startServer('redis', {}, { redis, layer: { outageGraceMs: graceMs } as LayerOptionsInput });
  worker = websocketWorker(harness.workerLayer, async (io) => {
    if (io.event.type === 'websocket.connect') await io.accept();
    else if (io.event.type === 'websocket.receive') await io.text(`re ${io.event.text as string}`);
    return {};
  });
  const url = wsUrl(harness.url, '/ws');
  return {
    async open() {
      const ws = await openWebSocket(url);
      sockets.push(ws);
      const got: string[] = [];
      ws.on('message', (data) => got.push(data.toString()));
      return { ws, got };
    },
  };
}

describe('a Redis outage with open WebSockets', () => {
  it('shorter than the grace: no socket closes, and frames sent meanwhile are answered afterwards, in order', async () => {
    const server = await echoing(10_000);
    const clients: { ws: WebSocket; got: string[] }[] = [];
    for (let i = 0; i < 5; i++) clients.push(await server.open());
    for (const { ws } of clients) ws.send('before');
    await waitUntil(() => clients.every((c) => c.got.length === 1), 5000, 'the echoes before the outage');
    let closed = 0;
    for (const { ws } of clients) ws.on('close', () => closed++);

    await redis.kill();
    for (const { ws } of clients) for (let i = 0; i < 3; i++) ws.send(`during ${i}`);
    await sleep(2000);
    expect(closed).toBe(0);
    await redis.start();

    await waitUntil(() => clients.every((c) => c.got.length === 4), 15_000, 'the frames of the outage, answered');
    for (const { got } of clients) expect(got).toEqual(['re before', 're during 0', 're during 1', 're during 2']);
    for (const { ws } of clients) ws.send('after');
    await waitUntil(() => clients.every((c) => c.got.length === 5), 5000, 'an echo after the outage');
    expect(closed).toBe(0);
  }, 40_000);

  it('longer than the grace: the sockets close with 1013 and a reason', async () => {
    const server = await echoing(1000);
    const { ws, got } = await server.open();
    ws.send('before');
    await waitUntil(() => got.length === 1, 5000, 'the echo before the outage');
    const closed = closeOf(ws, 15_000);
    await redis.kill();
    try {
      expect(await closed).toEqual({ code: 1013, reason: 'service unavailable, try again later' });
    } finally {
      await redis.start();
    }
  }, 30_000);
});
