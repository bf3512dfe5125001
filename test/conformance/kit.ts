/**
 * The conformance kit: what a worker implementation must do behind a real `switchyard serve`,
 * whatever its language. Each implementation runs the kit's app (apps/) and passes the same
 * checks: the HTTP and WebSocket message sequences, request and response flow control,
 * deadlines, malformed input. Runners: typescript.test.ts, python.test.ts.
 */
import { Redis } from 'ioredis';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys } from '../../channel-layer/redis/keys.js';
import { killAll, randomPrefix, startServeAlone, type LayerEnv, type Listening } from '../helpers/processes.js';
import { RedisServer } from '../helpers/redis-server.js';

/** A worker implementation under test, started on `layer` with the kit's app. */
export interface WorkerUnderTest {
  pid: number;
  stop(): Promise<void>;
}

/** How long the server waits for an answer in these checks: short, so the deadline check is quick. */
const RESPONSE_TIMEOUT_MS = 1_500;

export function workerConformance(name: string, start: (layer: LayerEnv) => Promise<WorkerUnderTest>): void {
  describe(`worker conformance: ${name}`, () => {
    let redis: RedisServer;
    let layer: LayerEnv;
    let server: Listening;
    let worker: WorkerUnderTest;
    beforeAll(async () => {
      redis = await RedisServer.start();
      layer = { redisUrl: redis.url, prefix: randomPrefix('conformance') };
      server = await startServeAlone(layer, ['--response-timeout', String(RESPONSE_TIMEOUT_MS)]);
      worker = await start(layer);
      for (let tries = 0; (await fetch(`${server.url}/hello`)).status !== 200; tries++) {
        if (tries > 100) throw new Error('the worker never answered');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }, 60_000);
    afterAll(async () => {
      await worker?.stop();
      await killAll();
      await redis?.stop();
    });

    it('http: a request and a whole response, with the query string', async () => {
      const response = await fetch(`${server.url}/hello?name=ada`);
      expect([response.status, await response.text()]).toEqual([200, 'hello ada']);
    });

    it('http: an upload streamed in by pulls, byte for byte', async () => {
      const body = Buffer.alloc(300_000);
      for (let i = 0; i < body.length; i++) body[i] = (i * 13) % 251;
      const response = await fetch(`${server.url}/echo`, { method: 'POST', body });
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
    });

    it('http: a response streamed past the credit window, in order', async () => {
      const response = await fetch(`${server.url}/stream?chunks=100`);
      expect(await response.text()).toBe([...Array(100).keys()].map((i) => `chunk ${i}\n`).join(''));
    });

    it('http: an app that fails answers 500', async () => {
      const response = await fetch(`${server.url}/boom`);
      expect(response.status).toBe(500);
      await response.arrayBuffer();
    });

    it('deadlines: a request whose client stopped waiting is dropped unrun', async () => {
      const before = Number(await (await fetch(`${server.url}/ticks`)).text());
      process.kill(worker.pid, 'SIGSTOP');
      try {
        const late = await fetch(`${server.url}/tick`);
        expect(late.status).toBe(504); // the server gave up: its deadline passed
        await late.arrayBuffer();
      } finally {
        process.kill(worker.pid, 'SIGCONT');
      }
      // The worker takes the stale /tick first (one list, in order), and must not run it.
      expect(Number(await (await fetch(`${server.url}/ticks`)).text())).toBe(before);
    });

    it('malformed input: an unreadable message on its channel is skipped, and the worker goes on', async () => {
      const raw = new Redis(redis.url);
      try {
        await raw.rpush(new RedisKeys(layer.prefix).list('http.request'), Buffer.from([0xc1, 0xff, 0x00]), Buffer.from('not msgpack at all'));
      } finally {
        raw.disconnect();
      }
      const response = await fetch(`${server.url}/hello?name=after`);
      expect([response.status, await response.text()]).toEqual([200, 'hello after']);
    });

    it('websocket: accept with the offered subprotocol, text and bytes both ways, then the close the app chose', async () => {
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

    it('websocket: a handshake the app refuses is answered 403', async () => {
      const ws = new WebSocket(`${server.wsUrl}/ws/deny`);
      const status = await new Promise<number>((resolve) => {
        ws.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => {});
      });
      expect(status).toBe(403);
    });
  });
}
