import { readFileSync } from 'node:fs';
import { connect } from 'node:http2';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childEnv, killAll, listening, randomPrefix, SwitchyardProcess, type Listening } from '../helpers/processes.js';
import { startPythonWorker, type PythonWorker } from '../helpers/python-worker.js';
import { RedisServer } from '../helpers/redis-server.js';
import { PROTOCOL_VERSION } from '../../schemas/index.js';

/**
 * A real Starlette app (Debian's python3-starlette) run by the Python worker (workers/python)
 * behind a real `switchyard serve`, with HTTP/1.1 (fetch) and h2c (node:http2) clients: whole,
 * echoed (uploads streamed in by pulls), streamed (past the response window, by credit) and
 * failing responses.
 */
describe('an ASGI app (Starlette) as a switchyard worker in Python', () => {
  let redis: RedisServer;
  let server: Listening;
  let worker: PythonWorker;
  beforeAll(async () => {
    redis = await RedisServer.start();
    const layer = { redisUrl: redis.url, prefix: randomPrefix('py') };
    server = await listening(new SwitchyardProcess(['serve', '--port', '0'], childEnv({ REDIS_URL: layer.redisUrl, SWITCHYARD_PREFIX: layer.prefix })));
    worker = await startPythonWorker('starlette_app:app', layer);
  }, 60_000);
  afterAll(async () => {
    await worker?.stop();
    await killAll();
    await redis?.stop();
  });

  it('answers a GET with the query string the app reads', async () => {
    const response = await fetch(`${server.url}/hello?name=ada`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toBe('hello from starlette ada');
  });

  it('echoes an upload: a small one whole, a large one streamed in, byte for byte', async () => {
    const small = await fetch(`${server.url}/echo`, { method: 'POST', body: 'abc', headers: { 'content-type': 'text/plain' } });
    expect([small.status, await small.text(), small.headers.get('x-length')]).toEqual([200, 'abc', '3']);
    const large = Buffer.alloc(300_000);
    for (let i = 0; i < large.length; i++) large[i] = (i * 7) % 251;
    const echoed = await fetch(`${server.url}/echo`, { method: 'POST', body: large });
    expect(echoed.status).toBe(200);
    expect(Buffer.from(await echoed.arrayBuffer()).equals(large)).toBe(true);
  });

  it('streams a response longer than the response window, in order', async () => {
    const response = await fetch(`${server.url}/stream?chunks=100`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe([...Array(100).keys()].map((i) => `chunk ${i}\n`).join(''));
  });

  it('answers 500 when the app raises, and logs what it raised', async () => {
    const response = await fetch(`${server.url}/boom`);
    expect(response.status).toBe(500);
    await response.arrayBuffer();
    // The worker logs before it answers, but its stderr may reach us after the response.
    for (let waited = 0; !worker.output().includes("RuntimeError('boom')") && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(worker.output()).toContain("RuntimeError('boom')");
  });

  it("ran the app's lifespan startup once, before taking requests", async () => {
    expect(await (await fetch(`${server.url}/started`)).text()).toBe('1');
  });

  it('serves an h2c client the same', async () => {
    const session = connect(server.url);
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const stream = session.request({ ':path': '/hello?name=h2' });
        let text = '';
        stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        stream.on('end', () => resolve(text));
        stream.on('error', reject);
      });
      expect(body).toBe('hello from starlette h2');
    } finally {
      session.close();
    }
  });

  it('runs a WebSocket handler from connect to close in one worker: subprotocol, text, bytes, and the close it chose', async () => {
    const ws = new WebSocket(`${server.wsUrl}/ws/echo`, ['other', 'chat']);
    const got: string[] = [];
    const closed = new Promise<[number, string]>((resolve) => ws.on('close', (code, reason) => resolve([code, reason.toString()])));
    ws.on('message', (data, isBinary) => got.push(isBinary ? `bytes:${Buffer.from(data as Buffer).toString()}` : data.toString()));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    expect(ws.protocol).toBe('chat');
    for (const text of ['one', 'two', 'three']) ws.send(text);
    ws.send(Buffer.from('abc'));
    for (let waited = 0; got.length < 4 && waited < 250; waited++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(got).toEqual(['echo: one', 'echo: two', 'echo: three', 'bytes:cba']);
    ws.send('bye');
    expect(await closed).toEqual([4000, 'bye']);
  });

  it('refuses a WebSocket the app closes before accepting (403)', async () => {
    const ws = new WebSocket(`${server.wsUrl}/ws/deny`);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(status).toBe(403);
  });

  it('speaks the protocol version of this release', () => {
    const python = readFileSync(new URL('../../workers/python/switchyard_asgi/protocol.py', import.meta.url), 'utf8');
    expect(python).toContain(`PROTOCOL_VERSION = ${PROTOCOL_VERSION}\n`);
  });

  it("ships the layer's own send script (the copy cannot drift)", () => {
    const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
    expect(read('workers/python/switchyard_asgi/send-v2.lua')).toBe(read('channel-layer/redis/lua/send-v2.lua'));
  });
});
