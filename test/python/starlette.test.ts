import { readFileSync } from 'node:fs';
import { connect } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, randomPrefix, startServeAlone, type Listening } from '../helpers/processes.js';
import { startPythonWorker, type PythonWorker } from '../helpers/python-worker.js';
import { RedisServer } from '../helpers/redis-server.js';
import { PROTOCOL_VERSION } from '../../schemas/index.js';

/**
 * A real Starlette app (Debian's python3-starlette) run by the Python worker (workers/python)
 * behind a real `switchyard serve`, with HTTP/1.1 (fetch) and h2c (node:http2) clients: whole,
 * echoed (uploads streamed in by pulls) and failing responses, and lifespan. Streamed
 * responses, WebSockets, deadlines and malformed input: the conformance kit
 * (test/conformance/python.test.ts).
 */
describe('an ASGI app (Starlette) as a switchyard worker in Python', () => {
  let redis: RedisServer;
  let server: Listening;
  let worker: PythonWorker;
  beforeAll(async () => {
    redis = await RedisServer.start();
    const layer = { redisUrl: redis.url, prefix: randomPrefix('py') };
    server = await startServeAlone(layer);
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

  it('speaks the protocol version of this release', () => {
    const python = readFileSync(new URL('../../workers/python/switchyard_asgi/protocol.py', import.meta.url), 'utf8');
    expect(python).toContain(`PROTOCOL_VERSION = ${PROTOCOL_VERSION}\n`);
  });

  it("ships the layer's own scripts (the copies cannot drift)", () => {
    const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
    for (const script of ['send-v2.lua', 'group-joined-v1.lua']) expect(read(`workers/python/switchyard_asgi/${script}`), script).toBe(read(`channel-layer/redis/lua/${script}`));
  });
});
