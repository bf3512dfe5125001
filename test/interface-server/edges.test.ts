import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
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

  // Node queues a response's output until the one before it on the connection has finished;
  // its writeHead then goes to the front of that queue when the first body chunk is bytes,
  // ahead of an early hint already queued. The 103 must still come first.
  it('keeps a pipelined response\'s 103 Early Hints ahead of its 200, even while the response before it is still going', async () => {
    harness = await startServer(kind, {}, { redis });
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    worker = httpWorker(harness.workerLayer, async (io) => {
      if (io.request.path === '/first') {
        await firstHeld;
      } else {
        await io.send({ type: 'http.response.early_hints', links: ['</style.css>; rel=preload; as=style'] });
        await io.start(200, [['content-type', 'text/plain'], ['content-length', '6']]);
        await io.body(Buffer.from('hinted'));
        setTimeout(releaseFirst, 100); // the second is answered (and queued) before the first ends
      }
      if (io.request.path === '/first') {
        await io.start(200, [['content-type', 'text/plain'], ['content-length', '5']]);
        await io.body(Buffer.from('first'));
      }
    });
    const host = 'Host: 127.0.0.1\r\n';
    const text = await rawExchange(portOf(harness.url), `GET /first HTTP/1.1\r\n${host}\r\nGET /second HTTP/1.1\r\n${host}Connection: close\r\n\r\n`);
    const afterFirst = text.slice(text.indexOf('\r\n\r\nfirst') + 9);
    expect(afterFirst.indexOf('HTTP/1.1 103 Early Hints')).toBe(0);
    expect(afterFirst.indexOf('HTTP/1.1 200')).toBeGreaterThan(0);
    expect(afterFirst.endsWith('\r\n\r\nhinted')).toBe(true);
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

  it('writes one access-log line per request and per WebSocket session', async () => {
    harness = await startServer(kind, {}, { redis });
    worker = websocketWorker(harness.workerLayer, async (io) => {
      if (io.event.type === 'websocket.connect') await io.accept();
      else if (io.event.type === 'websocket.receive') await io.text(String(io.event.text));
    });
    const http = httpWorker(harness.workerLayer, async (io) => {
      await io.start(404);
      await io.body('no such thing');
    });
    expect((await fetch(`${harness.url}/nothing-here?x=1`)).status).toBe(404);
    await http.stop();
    const ws = await openWebSocket(wsUrl(harness.url, '/ws'));
    for (const text of ['a', 'b']) {
      const echoed = new Promise((resolve) => ws.once('message', resolve));
      ws.send(text);
      await echoed;
    }
    const closed = closeOf(ws);
    ws.close(1000);
    await closed;
    await expect.poll(() => harness!.logs.find((l) => l.msg === 'websocket session')).toMatchObject({ path: '/ws', opened: true, code: 1000, frames_in: 2, frames_out: 2 });
    expect(harness.logs.find((l) => l.msg === 'request')).toMatchObject({ method: 'GET', path: '/nothing-here?x=1', protocol: 'http1', status: '404' });
  });

  describe('messages that reach connections through a group', () => {
    async function room(members: number, capacity = 100) {
      harness = await startServer(kind, {}, { redis, layer: { capacity } });
      worker = websocketWorker(harness.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') {
          await harness!.workerLayer.groupAdd('room', io.event.reply_channel as string);
          await io.accept();
        } else if (io.event.type === 'websocket.receive') {
          await io.text(`echo ${String(io.event.text)}`);
        } else if (io.event.type === 'room.note') {
          await io.text(`note ${String(io.event.n)}`);
        }
      });
      const sockets = await Promise.all([...Array(members)].map(() => openWebSocket(wsUrl(harness!.url, '/ws'))));
      await expect.poll(() => harness!.workerLayer.groupSize('room')).toBe(members);
      return sockets;
    }

    function nextText(ws: WebSocket): Promise<string> {
      return new Promise((resolve) => ws.once('message', (data: Buffer) => resolve(data.toString())));
    }

    it('delivers a websocket.send broadcast to every member without a worker', async () => {
      const sockets = await room(5);
      const taken = worker!.taken.length;
      const got = Promise.all(sockets.map(nextText));
      await harness!.workerLayer.groupSend('room', { type: 'websocket.send', text: 'to all' });
      expect(await got).toEqual(Array(5).fill('to all'));
      expect(worker!.taken.length).toBe(taken); // no event went to a worker
    });

    it('closes every member on a websocket.close sent to the group', async () => {
      const sockets = await room(3);
      const closed = Promise.all(sockets.map((ws) => closeOf(ws)));
      await harness!.workerLayer.groupSend('room', { type: 'websocket.close', code: 4009, reason: 'room closed' });
      expect(await closed).toEqual(Array(3).fill({ code: 4009, reason: 'room closed' }));
    });

    it('ignores other protocol messages sent to a group, leaving the members connected', async () => {
      const [ws] = await room(1);
      await harness!.workerLayer.groupSend('room', { type: 'websocket.accept' });
      await harness!.workerLayer.groupSend('room', { type: 'websocket.send' }); // malformed: no payload
      const reply = nextText(ws!);
      ws!.send('still here');
      expect(await reply).toBe('echo still here');
      expect(harness!.logs.filter((l) => /ignored a/.test(l.msg))).toHaveLength(2);
    });

    it('drops group events that find the channel full instead of closing the member', async () => {
      const [ws] = await room(1, 3);
      await worker!.stop(); // nobody takes events any more …
      worker = undefined;
      for (let filled = 0; filled < 3; filled++) await harness!.workerLayer.send('websocket', { type: 'filler' }); // … and the channel is full
      await harness!.workerLayer.groupSend('room', { type: 'room.note', n: 1 });
      await expect.poll(() => harness!.logs.some((l) => /dropped a "room.note" group event/.test(l.msg))).toBe(true);
      expect(ws!.readyState).toBe(WebSocket.OPEN);
    });
  });
});