import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChannelFull } from '../../channel-layer/index.js';
import { rawExchange } from '../helpers/http-clients.js';
import { closeOf, openWebSocket, portOf, wsUrl } from '../helpers/limits-clients.js';
import { RedisServer } from '../helpers/redis-server.js';
import { httpWorker, websocketWorker, type ScriptedWorker } from '../helpers/scripted-worker.js';
import { startServer, type Harness, type LayerKind } from '../helpers/server-harness.js';

describe.each(['memory', 'redis'] as const)('protocol edges on the %s layer', (kind: LayerKind) => {
  let redis: RedisServer | undefined;
  let harness: Harness | undefined;
  let worker: ScriptedWorker | undefined;

  beforeAll(async () => {
    if (kind === 'redis') redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    await harness?.close();
    await worker?.stop();
  });

  it('answers pipelined HTTP/1.1 requests in order on one connection', async () => {
    harness = await startServer(kind, {}, { redis });
    // Answers out of order on purpose: the second request is faster than the first.
    worker = httpWorker(harness.workerLayer, async (io) => {
      if (io.request.path === '/first') await new Promise((r) => setTimeout(r, 150));
      await io.start(200, [['content-type', 'text/plain']]);
      await io.body(`answer to ${String(io.request.path)}`);
    });
    const host = 'Host: 127.0.0.1\r\n';
    const text = await rawExchange(portOf(harness.url), `GET /first HTTP/1.1\r\n${host}\r\nGET /second HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
    const first = text.indexOf('answer to /first');
    const second = text.indexOf('answer to /second');
    expect(text.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
    expect(first).toBeGreaterThan(-1);
    expect(second).toBeGreaterThan(first);
  });

  it('closes an open WebSocket with 1013 when its events find the channel full', async () => {
    harness = await startServer(kind, {}, { redis, layer: { capacity: 2 } });
    worker = websocketWorker(harness.workerLayer, async (io) => {
      if (io.event.type === 'websocket.connect') await io.accept();
    });
    const ws = await openWebSocket(wsUrl(harness.url, '/ws'));
    await worker.stop(); // nobody takes events any more …
    worker = undefined;
    let filled = 0;
    while (filled < 10) {
      try {
        await harness.workerLayer.send('websocket', { type: 'filler' }); // … and the channel fills up
        filled++;
      } catch (error) {
        if (error instanceof ChannelFull) break;
        throw error;
      }
    }
    const closed = closeOf(ws);
    ws.send('one more');
    expect(await closed).toEqual({ code: 1013, reason: 'server busy, try again later' });
  });
});
