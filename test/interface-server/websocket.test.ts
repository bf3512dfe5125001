/**
 * The WebSocket side of the interface server, end to end: a real server (the harness), the real
 * `ws` client (or raw sockets where a misbehaving client is needed), real layers (memory and
 * Redis) and scripted workers speaking the message protocol by hand.
 *
 * Frame size, UTF-8, origin and timeout limits live in limits.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MemoryLayer, RedisLayer, type ChannelLayer, type WireMessage } from '../../channel-layer/index.js';
import type { ServerOptionsInput } from '../../interface-server/index.js';
import { RedisServer } from '../helpers/redis-server.js';
import { httpWorker, idleReceiver, websocketWorker, type ScriptedWorker, type WebSocketIO } from '../helpers/scripted-worker.js';
import { startServer, type Harness, type LayerKind } from '../helpers/server-harness.js';

type Script = (io: WebSocketIO) => Promise<Record<string, unknown> | void | 'no-done'>;

let redis: RedisServer;
let tlsDir: string;
let tlsCert: Buffer;
let tlsKey: Buffer;

beforeAll(async () => {
  redis = await RedisServer.start();
  tlsDir = mkdtempSync(join(tmpdir(), 'switchyard-ws-tls-'));
  const keyFile = join(tlsDir, 'key.pem');
  const certFile = join(tlsDir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  tlsCert = readFileSync(certFile);
  tlsKey = readFileSync(keyFile);
});

afterAll(async () => {
  await redis?.stop();
  if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Small helpers

/** Polls `condition` until it holds; throws (with `what`) after `ms`. */
async function waitFor(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A promise that rejects after `ms` unless `promise` settles first. */
function within<T>(promise: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Frame {
  data: Buffer;
  isBinary: boolean;
}

/** Every frame a client receives, in order, so none is missed between awaits. */
class Inbox {
  readonly frames: Frame[] = [];
  private read = 0;

  constructor(ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      this.frames.push({ data: buffer, isBinary });
    });
  }

  async next(ms = 5_000): Promise<Frame> {
    await waitFor(() => this.frames.length > this.read, 'a frame from the server', ms);
    return this.frames[this.read++]!;
  }

  async nextText(ms = 5_000): Promise<string> {
    const frame = await this.next(ms);
    expect(frame.isBinary).toBe(false);
    return frame.data.toString('utf8');
  }
}

function opened(ws: WebSocket): Promise<void> {
  return within(
    new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res: IncomingMessage) => reject(new Error(`handshake refused with ${res.statusCode}`)));
    }),
    'the WebSocket to open',
  );
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return within(
    new Promise((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
    }),
    'the WebSocket to close',
  );
}

interface Refusal {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** The HTTP response of a refused handshake. */
function refused(ws: WebSocket): Promise<Refusal> {
  return within(
    new Promise<Refusal>((resolve, reject) => {
      ws.once('open', () => reject(new Error('the handshake was accepted')));
      ws.on('error', () => {}); // a refused handshake may also surface as an error after the response
      ws.once('unexpected-response', (_req, res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      });
    }),
    'the handshake to be refused',
  );
}

/** Sends raw bytes on a new TCP connection and collects everything until the server closes it. */
async function rawExchange(port: number, request: string): Promise<string> {
  const socket = net.createConnection({ host: '127.0.0.1', port });
  await once(socket, 'connect');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  socket.write(request);
  await within(ended, 'the server to close the raw connection');
  return Buffer.concat(chunks).toString('latin1');
}

function portOf(harness: Harness): number {
  return Number(new URL(harness.url).port);
}

const receives = (worker: ScriptedWorker): WireMessage[] => worker.taken.filter((m) => m.type === 'websocket.receive');
const ofType = (worker: ScriptedWorker, type: string): WireMessage[] => worker.taken.filter((m) => m.type === type);

/** A worker that accepts every connection and echoes every frame, text as text, bytes as bytes. */
const echo: Script = async (io) => {
  if (io.event.type === 'websocket.connect') await io.accept();
  else if (io.event.type === 'websocket.receive') {
    if (typeof io.event.text === 'string') await io.text(io.event.text);
    else await io.bytes(io.event.bytes as Uint8Array);
  }
};

// ---------------------------------------------------------------------------------------------

describe.each(['memory', 'redis'] as const)('WebSocket on the %s layer', (kind: LayerKind) => {
  let harnesses: Harness[] = [];
  let workers: ScriptedWorker[] = [];
  let extraLayers: ChannelLayer[] = [];
  let clients: WebSocket[] = [];
  let sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const ws of clients) ws.terminate();
    for (const socket of sockets) socket.destroy();
    // Let the workers answer the disconnect events before they stop, so shutdown has nothing to wait for.
    for (const harness of harnesses) await waitFor(() => harness.server.connections === 0, 'connections to end', 3_000).catch(() => {});
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(extraLayers.map((l) => l.close()));
    await Promise.all(harnesses.map((h) => h.close()));
    harnesses = [];
    workers = [];
    extraLayers = [];
    clients = [];
    sockets = [];
  });

  async function server(options: ServerOptionsInput = {}): Promise<Harness> {
    const harness = await startServer(kind, { shutdownTimeoutMs: 1_000, ...options }, { redis });
    harnesses.push(harness);
    return harness;
  }

  function worker(layer: ChannelLayer, script: Script): ScriptedWorker {
    const w = websocketWorker(layer, script);
    workers.push(w);
    return w;
  }

  /** Another worker process: a layer of its own on the harness's backing. */
  async function extraLayer(harness: Harness, name: string): Promise<ChannelLayer> {
    let layer: ChannelLayer;
    if (kind === 'memory') {
      layer = new MemoryLayer({ store: (harness.serverLayer as MemoryLayer).store, processName: name });
    } else {
      const redisLayer = new RedisLayer({ url: redis.url, prefix: (harness.serverLayer as RedisLayer).options.prefix, processName: name });
      await redisLayer.waitUntilReady();
      layer = redisLayer;
    }
    extraLayers.push(layer);
    return layer;
  }

  function client(harness: Harness, path: string, protocols?: string | string[], options: WebSocket.ClientOptions = {}): WebSocket {
    const url = `${harness.url.replace(/^http/, 'ws')}${path}`;
    const ws = protocols === undefined ? new WebSocket(url, options) : new WebSocket(url, protocols, options);
    clients.push(ws);
    ws.on('error', () => {}); // tests that care listen for it; an aborted handshake at clean-up must not throw
    return ws;
  }

  // -------------------------------------------------------------------------------------------
  describe('handshake', () => {
    it('accepts with a subprotocol the client offered, and sends the extra headers of the accept', async () => {
      const harness = await server();
      const w = worker(harness.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') await io.accept('superchat', [['x-session', 'abc123'], ['set-cookie', 'a=1']]);
      });
      const ws = client(harness, '/ws/echo', ['chat', 'superchat']);
      const upgrade = new Promise<IncomingMessage>((resolve) => ws.once('upgrade', resolve));
      await opened(ws);
      expect(ws.protocol).toBe('superchat');
      const response = await upgrade;
      expect(response.statusCode).toBe(101);
      expect(response.headers['x-session']).toBe('abc123');
      expect(response.headers['set-cookie']).toEqual(['a=1']);
      const [connect] = ofType(w, 'websocket.connect');
      expect(connect).toMatchObject({ type: 'websocket.connect', scheme: 'ws', path: '/ws/echo', subprotocols: ['chat', 'superchat'] });
    });

    it('accepts a handshake on a websocketAcceptPaths path at once, before a worker takes it, and still sends the connect event first', async () => {
      const harness = await server({ websocketAcceptPaths: ['/ws/free'] });
      await idleReceiver(harness.workerLayer, 'websocket'); // a worker is up, taking nothing yet
      const ws = client(harness, '/ws/free');
      const upgrade = new Promise<IncomingMessage>((resolve) => ws.once('upgrade', resolve));
      const response = await within(upgrade, 'the 101 with no worker running');
      expect(response.statusCode).toBe(101);
      const w = worker(harness.workerLayer, async (io) => {
        if (io.event.type === 'websocket.receive') await io.text(`got ${io.event.text as string}`);
      });
      const inbox = new Inbox(ws);
      await waitFor(() => ofType(w, 'websocket.connect').length === 1, 'the connect event');
      expect(ofType(w, 'websocket.connect')[0]).toMatchObject({ path: '/ws/free', accepted: true });
      ws.send('hi');
      expect((await inbox.next()).data.toString()).toBe('got hi');
    });

    it('accepts without a subprotocol when the worker names none', async () => {
      const harness = await server();
      worker(harness.workerLayer, echo);
      const ws = client(harness, '/ws/echo', ['chat']);
      const upgrade = new Promise<IncomingMessage>((resolve) => ws.once('upgrade', resolve));
      // `ws` itself refuses a 101 without the protocol it asked for; the server must still answer without one.
      ws.on('error', () => {});
      const response = await within(upgrade, 'the 101');
      expect(response.statusCode).toBe(101);
      expect(response.headers['sec-websocket-protocol']).toBeUndefined();
    });

    it('refuses the handshake with 500 and logs an error when the worker accepts a subprotocol the client did not offer', async () => {
      const harness = await server();
      worker(harness.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') await io.accept('other');
      });
      const refusal = await refused(client(harness, '/ws/echo', ['chat', 'superchat']));
      expect(refusal.status).toBe(500);
      await waitFor(() => harness.logs.some((l) => l.level >= 50 && l.msg.includes('subprotocol "other"')), 'the error to be logged');
    });

    it('denies with the status, headers and body of a websocket.close sent before accept', async () => {
      const harness = await server();
      worker(harness.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') {
          await io.send({
            type: 'websocket.close',
            status: 401,
            headers: [['www-authenticate', 'Bearer realm="chat"'], ['content-type', 'application/json']],
            body: Buffer.from('{"error":"login first"}'),
          });
        }
      });
      const refusal = await refused(client(harness, '/ws/echo'));
      expect(refusal.status).toBe(401);
      expect(refusal.headers['www-authenticate']).toBe('Bearer realm="chat"');
      expect(refusal.headers['content-type']).toBe('application/json');
      expect(refusal.body).toBe('{"error":"login first"}');
    });

    it('denies with 403 when the websocket.close before accept has no status', async () => {
      const harness = await server();
      worker(harness.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') await io.close();
      });
      const refusal = await refused(client(harness, '/ws/echo'));
      expect(refusal.status).toBe(403);
    });

    it('denies with 403 when the connect event is done with neither accept nor close', async () => {
      const harness = await server();
      const w = worker(harness.workerLayer, async () => {});
      const refusal = await refused(client(harness, '/ws/echo'));
      expect(refusal.status).toBe(403);
      expect(w.taken.map((m) => m.type)).toEqual(['websocket.connect']);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('frames', () => {
    it('echoes text as text and bytes as bytes, all 256 byte values intact', async () => {
      const harness = await server();
      const w = worker(harness.workerLayer, echo);
      const ws = client(harness, '/ws/echo');
      const inbox = new Inbox(ws);
      await opened(ws);

      const text = 'héllo wörld ✓ 🚀';
      const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      ws.send(text);
      ws.send(allBytes);
      ws.send('');
      ws.send(Buffer.alloc(0));

      const first = await inbox.next();
      expect(first.isBinary).toBe(false);
      expect(first.data.toString('utf8')).toBe(text);
      const second = await inbox.next();
      expect(second.isBinary).toBe(true);
      expect(second.data.equals(allBytes)).toBe(true);
      const third = await inbox.next();
      expect(third.isBinary).toBe(false);
      expect(third.data.length).toBe(0);
      const fourth = await inbox.next();
      expect(fourth.isBinary).toBe(true);
      expect(fourth.data.length).toBe(0);

      const events = receives(w);
      expect(events).toHaveLength(4);
      expect(events[0]!.text).toBe(text);
      expect(events[0]!.bytes).toBeUndefined();
      expect(events[1]!.text).toBeUndefined();
      expect(events[1]!.bytes).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(events[1]!.bytes as Uint8Array).equals(allBytes)).toBe(true);
      expect(events[2]!.text).toBe('');
      expect(events[2]!.bytes).toBeUndefined();
      expect(events[3]!.text).toBeUndefined();
      expect(Buffer.from(events[3]!.bytes as Uint8Array).length).toBe(0);
      for (const event of events) expect(event.reply_channel).toBe(ofType(w, 'websocket.connect')[0]!.reply_channel);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('closing', () => {
    it("delivers the worker's websocket.close code and reason to the client, then a disconnect to the worker", async () => {
      const harness = await server();
      const w = worker(harness.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') await io.accept();
        else if (io.event.type === 'websocket.receive') await io.close(4001, 'go away');
      });
      const ws = client(harness, '/ws/echo');
      await opened(ws);
      const closing = closed(ws);
      ws.send('close me');
      expect(await closing).toEqual({ code: 4001, reason: 'go away' });
      await waitFor(() => ofType(w, 'websocket.disconnect').length === 1, 'the disconnect event');
      expect(ofType(w, 'websocket.disconnect')[0]).toMatchObject({ code: 4001 });
      await waitFor(() => harness.server.connections === 0, 'the session to end');
    });

    it("turns the client's close (4002 'bye') into websocket.disconnect with that code and reason", async () => {
      const harness = await server();
      const w = worker(harness.workerLayer, echo);
      const ws = client(harness, '/ws/echo');
      await opened(ws);
      const closing = closed(ws);
      ws.close(4002, 'bye');
      expect((await closing).code).toBe(4002);
      await waitFor(() => ofType(w, 'websocket.disconnect').length === 1, 'the disconnect event');
      const [disconnect] = ofType(w, 'websocket.disconnect');
      expect(disconnect).toMatchObject({ type: 'websocket.disconnect', code: 4002, reason: 'bye' });
      expect(disconnect!.reply_channel).toBe(ofType(w, 'websocket.connect')[0]!.reply_channel);
      await waitFor(() => harness.server.connections === 0, 'the session to end');
      expect(w.taken.map((m) => m.type)).toEqual(['websocket.connect', 'websocket.disconnect']);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('state', () => {
    it('carries the state each event returned into the next event', async () => {
      const harness = await server();
      const seen: (Record<string, unknown> | undefined)[] = [];
      const w = worker(harness.workerLayer, async (io) => {
        seen.push(io.state);
        if (io.event.type === 'websocket.connect') {
          await io.accept();
          return { count: 0, user: 'ada' };
        }
        if (io.event.type === 'websocket.receive') {
          const count = (io.state!.count as number) + 1;
          await io.text(String(count));
          return { count, user: io.state!.user };
        }
      });
      const ws = client(harness, '/ws/echo');
      const inbox = new Inbox(ws);
      await opened(ws);
      for (const text of ['a', 'b', 'c']) ws.send(text);
      expect([await inbox.nextText(), await inbox.nextText(), await inbox.nextText()]).toEqual(['1', '2', '3']);
      ws.close(1000);
      await waitFor(() => ofType(w, 'websocket.disconnect').length === 1, 'the disconnect event');
      await waitFor(() => seen.length === 5, 'the disconnect to be handled');
      expect(seen).toEqual([
        undefined,
        { count: 0, user: 'ada' },
        { count: 1, user: 'ada' },
        { count: 2, user: 'ada' },
        { count: 3, user: 'ada' },
      ]);
    });

    it('closes with 1011 when a worker returns state larger than limits.stateMaxBytes', async () => {
      const harness = await server({ limits: { stateMaxBytes: 256 } });
      worker(harness.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') {
          await io.accept();
          return { small: 'fits' };
        }
        if (io.event.type === 'websocket.receive') return { big: 'x'.repeat(1_000) };
      });
      const ws = client(harness, '/ws/echo');
      await opened(ws);
      const closing = closed(ws);
      ws.send('grow');
      expect((await closing).code).toBe(1011);
      await waitFor(() => harness.logs.some((l) => l.level >= 50 && /state of at most 256 bytes/.test(l.msg)), 'the error to be logged');
    });

    it('after a worker error while open (state too large → 1011), the disconnect event that follows is still taken as done and nothing times out', async () => {
      // The failure is thrown from the session's receive loop: the loop must keep running to
      // take the worker's `websocket.done` for the disconnect event that follows.
      const harness = await server({ limits: { stateMaxBytes: 256, websocketEventTimeoutMs: 1_000 } });
      const w = worker(harness.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') {
          await io.accept();
          return;
        }
        if (io.event.type === 'websocket.receive') return { big: 'x'.repeat(1_000) };
      });
      const ws = client(harness, '/ws/echo');
      await opened(ws);
      const closing = closed(ws);
      ws.send('grow');
      expect((await closing).code).toBe(1011);
      await waitFor(() => ofType(w, 'websocket.disconnect').length === 1, 'the disconnect event');
      // Wait past the event timeout: the disconnect was answered, so nothing may time out.
      await sleep(1_500);
      const timeouts = harness.logs.filter((l) => /not done within/.test(l.msg));
      expect(timeouts.map((l) => l.msg)).toEqual([]);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('sequencing', () => {
    it('hands one connection to several workers one event at a time, in the order sent', async () => {
      const harness = await server();
      const layers = [harness.workerLayer, await extraLayer(harness, 'worker2'), await extraLayer(harness, 'worker3')];
      /** One shared timeline of handling starts and ends across the three workers. */
      const timeline: { edge: 'start' | 'end'; worker: number; type: string; text?: string; at: number }[] = [];
      let active = 0;
      let maxActive = 0;
      const pool = layers.map((layer, index) =>
        worker(layer, async (io) => {
          const text = io.event.text as string | undefined;
          active++;
          maxActive = Math.max(maxActive, active);
          timeline.push({ edge: 'start', worker: index, type: io.event.type, text, at: performance.now() });
          await sleep(Math.random() * 8);
          if (io.event.type === 'websocket.connect') await io.accept();
          timeline.push({ edge: 'end', worker: index, type: io.event.type, text, at: performance.now() });
          active--;
        }),
      );
      const ws = client(harness, '/ws/echo');
      await opened(ws);
      const sent = Array.from({ length: 30 }, (_, i) => `m${i}`);
      for (const text of sent) ws.send(text);
      await waitFor(() => timeline.filter((e) => e.edge === 'end' && e.type === 'websocket.receive').length === 30, 'all 30 messages to be handled', 15_000);
      ws.close();
      await waitFor(() => timeline.some((e) => e.edge === 'end' && e.type === 'websocket.disconnect'), 'the disconnect to be handled');

      // One at a time: the timeline strictly alternates start/end of the same event.
      expect(maxActive).toBe(1);
      for (let i = 0; i < timeline.length; i += 2) {
        const start = timeline[i]!;
        const end = timeline[i + 1]!;
        expect(start.edge).toBe('start');
        expect(end).toMatchObject({ edge: 'end', worker: start.worker, type: start.type, text: start.text });
        if (i > 0) expect(start.at).toBeGreaterThanOrEqual(timeline[i - 1]!.at);
      }
      // In the order sent.
      expect(timeline.filter((e) => e.edge === 'start').map((e) => e.text ?? e.type)).toEqual(['websocket.connect', ...sent, 'websocket.disconnect']);
      // More than one worker took part.
      const takers = pool.filter((w) => receives(w).length > 0);
      expect(takers.length).toBeGreaterThan(1);
      expect(pool.reduce((n, w) => n + receives(w).length, 0)).toBe(30);
    });

    it('keeps frames the client sends while the connect event is still in progress, and delivers them in order after it', async () => {
      const harness = await server();
      const order: string[] = [];
      const w = worker(harness.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') {
          order.push('connect:start');
          await io.accept();
          await sleep(300); // accepted, but the connect event is not done yet
          order.push('connect:end');
          return { connected: true };
        }
        if (io.event.type === 'websocket.receive') {
          order.push(`receive:${io.event.text as string}:${io.state?.connected === true}`);
          await io.text(io.event.text as string);
        }
      });
      const ws = client(harness, '/ws/echo');
      const inbox = new Inbox(ws);
      ws.once('open', () => {
        for (let i = 0; i < 10; i++) ws.send(`early${i}`);
      });
      await opened(ws);
      const echoed: string[] = [];
      for (let i = 0; i < 10; i++) echoed.push(await inbox.nextText());
      expect(echoed).toEqual(Array.from({ length: 10 }, (_, i) => `early${i}`));
      expect(order).toEqual(['connect:start', 'connect:end', ...Array.from({ length: 10 }, (_, i) => `receive:early${i}:true`)]);
      expect(receives(w)).toHaveLength(10);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('groups', () => {
    /** Chat on `/ws/chat/:room`: the worker changes groups through the layer, as consumers do. */
    function chat(layer: ChannelLayer): Script {
      return async (io) => {
        const { event } = io;
        const reply = event.reply_channel as string;
        const group = `room.${(event.path as string | undefined)?.split('/').pop() ?? (io.state?.room as string)}`;
        switch (event.type) {
          case 'websocket.connect':
            await layer.groupAdd(group, reply);
            await io.accept();
            return { room: group.slice('room.'.length) };
          case 'websocket.receive': {
            const message = { type: 'chat.message', text: event.text as string };
            await layer.groupSend(group, message);
            return io.state;
          }
          case 'chat.message':
            await io.text(`[${group}] ${event.text as string}`);
            return io.state;
          case 'websocket.disconnect':
            await layer.groupDiscard(group, reply);
            return io.state;
        }
        return io.state;
      };
    }

    it('delivers a group message to every connection of the room', async () => {
      const harness = await server({ websocketPaths: ['/ws/chat/:room'] });
      const w = worker(harness.workerLayer, chat(harness.workerLayer));
      const alice = client(harness, '/ws/chat/lobby');
      const bob = client(harness, '/ws/chat/lobby');
      const carol = client(harness, '/ws/chat/kitchen');
      const inboxes = [new Inbox(alice), new Inbox(bob), new Inbox(carol)];
      await Promise.all([opened(alice), opened(bob), opened(carol)]);
      await waitFor(() => ofType(w, 'websocket.connect').length === 3, 'three connects');
      await within(
        (async () => {
          while ((await harness.workerLayer.groupSize('room.lobby')) < 2) await sleep(10);
        })(),
        'both lobby connections in the group',
      );

      alice.send('hi from alice');
      expect(await inboxes[0]!.nextText()).toBe('[room.lobby] hi from alice');
      expect(await inboxes[1]!.nextText()).toBe('[room.lobby] hi from alice');
      bob.send('hi from bob');
      expect(await inboxes[0]!.nextText()).toBe('[room.lobby] hi from bob');
      expect(await inboxes[1]!.nextText()).toBe('[room.lobby] hi from bob');

      // The group message reached each connection as an event of its own type, with its reply channel and state.
      const groupEvents = ofType(w, 'chat.message');
      expect(groupEvents).toHaveLength(4);
      const lobby = ofType(w, 'websocket.connect')
        .filter((c) => c.path === '/ws/chat/lobby')
        .map((c) => c.reply_channel)
        .sort();
      expect(groupEvents.map((e) => e.reply_channel).sort()).toEqual([lobby[0], lobby[0], lobby[1], lobby[1]].sort());
      for (const event of groupEvents) expect(event.state).toEqual({ room: 'lobby' });
      // The kitchen heard nothing.
      carol.send('anyone?');
      expect(await inboxes[2]!.nextText()).toBe('[room.kitchen] anyone?');
      expect(inboxes[2]!.frames).toHaveLength(1);
      expect(inboxes[0]!.frames).toHaveLength(2);

      alice.close();
      bob.close();
      await within(
        (async () => {
          while ((await harness.workerLayer.groupSize('room.lobby')) > 0) await sleep(10);
        })(),
        'the lobby to empty after the disconnects',
      );
    });

    it('keeps a group message that reaches the connection while its connect event is in progress (before accept)', async () => {
      // The usual connect handler: join the room, announce the newcomer to it, accept. The
      // announcement reaches this connection's reply channel before the accept does.
      const harness = await server();
      const w = worker(harness.workerLayer, async (io) => {
        const reply = io.event.reply_channel as string;
        if (io.event.type === 'websocket.connect') {
          await harness.workerLayer.groupAdd('room.welcome', reply);
          await harness.workerLayer.groupSend('room.welcome', { type: 'chat.message', text: 'someone joined' });
          await io.accept();
        } else if (io.event.type === 'chat.message') {
          await io.text(io.event.text as string);
        } else if (io.event.type === 'websocket.receive') {
          await io.text(`echo ${io.event.text as string}`);
        }
      });
      const ws = client(harness, '/ws/chat/welcome');
      const inbox = new Inbox(ws);
      await opened(ws);
      ws.send('after');
      // The echo comes after the announcement would have: by then the announcement was handled or lost.
      await waitFor(() => inbox.frames.some((f) => f.data.toString() === 'echo after'), 'the echo');
      expect(inbox.frames.map((f) => f.data.toString())).toEqual(['someone joined', 'echo after']);
      expect(ofType(w, 'chat.message')).toHaveLength(1);
    });

    it("a group message's own `state` field does not become the state of a connection that has none", async () => {
      const harness = await server();
      worker(harness.workerLayer, async (io) => {
        const reply = io.event.reply_channel as string;
        switch (io.event.type) {
          case 'websocket.connect':
            await harness.workerLayer.groupAdd('room.spoof', reply);
            await io.accept();
            return; // no state
          case 'websocket.receive':
            if (io.event.text === 'broadcast') {
              await harness.workerLayer.groupSend('room.spoof', { type: 'chat.message', text: 'hi', state: { admin: true } });
            } else {
              await io.text(`receive state: ${JSON.stringify(io.state ?? null)}`);
            }
            return io.state;
          case 'chat.message':
            await io.text(`chat state: ${JSON.stringify(io.state ?? null)}`);
            return io.state; // a consumer that keeps whatever state it was handed
        }
        return io.state;
      });
      const ws = client(harness, '/ws/echo');
      const inbox = new Inbox(ws);
      await opened(ws);
      ws.send('broadcast');
      const chat = await inbox.nextText();
      ws.send('check');
      const check = await inbox.nextText();
      expect([chat, check]).toEqual(['chat state: null', 'receive state: null']);
    });

    it('a client that goes away while the connect event is in progress still produces websocket.disconnect once the worker accepted', async () => {
      // The connect handler joins a group, then accepts. The client vanishes in between: from
      // the consumer's side the connection was accepted, so it must hear of the loss (1006) to
      // leave the group again.
      const harness = await server();
      let joined = false;
      let connectDone = false;
      const w = worker(harness.workerLayer, async (io) => {
        const reply = io.event.reply_channel as string;
        if (io.event.type === 'websocket.connect') {
          await harness.workerLayer.groupAdd('room.ghost', reply);
          joined = true;
          await waitFor(() => socket.destroyed, 'the client to vanish');
          await sleep(50);
          await io.accept();
          connectDone = true;
        } else if (io.event.type === 'websocket.disconnect') {
          await harness.workerLayer.groupDiscard('room.ghost', reply);
        }
      });
      const port = portOf(harness);
      const socket = net.createConnection({ host: '127.0.0.1', port });
      sockets.push(socket);
      socket.on('error', () => {});
      await once(socket, 'connect');
      socket.write(
        `GET /ws/chat/ghost HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      await waitFor(() => joined, 'the connect handler to join the group');
      socket.destroy();
      await waitFor(() => connectDone, 'the connect handler to finish');
      await waitFor(() => ofType(w, 'websocket.disconnect').length > 0, 'a websocket.disconnect for the vanished client', 2_000).catch(() => {});
      expect(ofType(w, 'websocket.disconnect')).toMatchObject([{ type: 'websocket.disconnect', code: 1006 }]);
      expect(await harness.workerLayer.groupSize('room.ghost')).toBe(0);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('paths', () => {
    it('takes WebSockets only on websocketPaths; other paths get 404, broken handshakes 400 and other versions 426, without a worker', async () => {
      const harness = await server({ websocketPaths: ['/ws/echo', '/ws/chat/:room'] });
      const w = worker(harness.workerLayer, echo);
      // Refusals first, so `taken` shows that no worker heard of them.
      expect((await refused(client(harness, '/nope'))).status).toBe(404);
      expect((await refused(client(harness, '/ws/chat/lobby/extra'))).status).toBe(404);
      expect((await refused(client(harness, '/ws/echoes'))).status).toBe(404);
      const port = portOf(harness);
      const noKey = await rawExchange(
        port,
        `GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      expect(noKey).toMatch(/^HTTP\/1\.1 400 /);
      const badVersion = await rawExchange(
        port,
        `GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n`,
      );
      // RFC 6455 §4.4: 426 naming the version the server speaks (8, an old draft ws also takes, included).
      expect(badVersion).toMatch(/^HTTP\/1\.1 426 /);
      expect(badVersion).toMatch(/\r\nsec-websocket-version: 13\r\n/i);
      const draftVersion = await rawExchange(
        port,
        `GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n`,
      );
      expect(draftVersion).toMatch(/^HTTP\/1\.1 426 [^]*\r\nsec-websocket-version: 13\r\n/i);
      await sleep(100);
      expect(w.taken).toEqual([]);

      for (const path of ['/ws/chat/lobby', '/ws/echo', '/ws/echo/']) {
        const ws = client(harness, path);
        const inbox = new Inbox(ws);
        await opened(ws);
        ws.send(`hello ${path}`);
        expect(await inbox.nextText()).toBe(`hello ${path}`);
      }
      expect(ofType(w, 'websocket.connect').map((c) => c.path)).toEqual(['/ws/chat/lobby', '/ws/echo', '/ws/echo/']);
    });

    it('matches the decoded path without the query, passes both on, and routes path prefixes to their own channel', async () => {
      const harness = await server({ websocketPaths: ['/ws/chat/:room', '/live/*'], routes: [{ prefix: '/live', websocket: 'live' }] });
      const chat = worker(harness.workerLayer, echo);
      const live = websocketWorker(harness.workerLayer, echo, 'live');
      workers.push(live);

      const ws = client(harness, '/ws/chat/caf%C3%A9?token=abc&x=1');
      await opened(ws);
      const [connect] = ofType(chat, 'websocket.connect');
      expect(connect!.path).toBe('/ws/chat/café');
      expect(Buffer.from(connect!.raw_path as Uint8Array).toString('latin1')).toBe('/ws/chat/caf%C3%A9');
      expect(Buffer.from(connect!.query_string as Uint8Array).toString('latin1')).toBe('token=abc&x=1');

      const deep = client(harness, '/live/feeds/42');
      const inbox = new Inbox(deep);
      await opened(deep);
      deep.send('live!');
      expect(await inbox.nextText()).toBe('live!');
      expect(ofType(live, 'websocket.connect').map((c) => c.path)).toEqual(['/live/feeds/42']);
      expect(ofType(chat, 'websocket.connect')).toHaveLength(1);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('keep-alive', () => {
    it('keeps a client that answers pings connected over several intervals', async () => {
      const harness = await server({ websocket: { pingIntervalMs: 200 } });
      const w = worker(harness.workerLayer, echo);
      const ws = client(harness, '/ws/echo');
      const inbox = new Inbox(ws);
      let pings = 0;
      ws.on('ping', () => pings++);
      await opened(ws);
      await waitFor(() => pings >= 4, 'four pings', 5_000);
      expect(ws.readyState).toBe(WebSocket.OPEN);
      ws.send('still here');
      expect(await inbox.nextText()).toBe('still here');
      expect(ofType(w, 'websocket.disconnect')).toEqual([]);
    });

    it('drops a client that never answers pings', async () => {
      const harness = await server({ websocket: { pingIntervalMs: 200 } });
      const w = worker(harness.workerLayer, echo);
      const port = portOf(harness);
      const socket = net.createConnection({ host: '127.0.0.1', port });
      sockets.push(socket);
      socket.on('error', () => {});
      await once(socket, 'connect');
      let received = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
      const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write(
        `GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      await waitFor(() => received.includes('\r\n\r\n'), 'the handshake response');
      const head = received.subarray(0, received.indexOf('\r\n\r\n')).toString('latin1');
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
      expect(head.toLowerCase()).toContain('sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=');
      await within(gone, 'the server to drop the silent client');
      // It was pinged (an unmasked ping frame: 0x89) and never answered.
      expect(received.subarray(received.indexOf('\r\n\r\n') + 4)).toContain(0x89);
      await waitFor(() => ofType(w, 'websocket.disconnect').length === 1, 'the disconnect event');
      expect(ofType(w, 'websocket.disconnect')[0]).toMatchObject({ code: 1006 });
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('permessage-deflate', () => {
    it('negotiates permessage-deflate when enabled, and echo still works', async () => {
      const harness = await server({ websocket: { perMessageDeflate: true } });
      const w = worker(harness.workerLayer, echo);
      const ws = client(harness, '/ws/echo', undefined, { perMessageDeflate: true });
      const inbox = new Inbox(ws);
      await opened(ws);
      expect(ws.extensions).toContain('permessage-deflate');
      const text = 'compress me '.repeat(500);
      const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 7));
      ws.send(text);
      ws.send(bytes);
      expect(await inbox.nextText()).toBe(text);
      const frame = await inbox.next();
      expect(frame.isBinary).toBe(true);
      expect(frame.data.equals(bytes)).toBe(true);
      expect(receives(w)[0]!.text).toBe(text);
    });

    it('does not negotiate permessage-deflate by default', async () => {
      const harness = await server();
      worker(harness.workerLayer, echo);
      const ws = client(harness, '/ws/echo', undefined, { perMessageDeflate: true });
      const inbox = new Inbox(ws);
      await opened(ws);
      expect(ws.extensions).not.toContain('permessage-deflate');
      ws.send('plain');
      expect(await inbox.nextText()).toBe('plain');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('TLS', () => {
    it('serves wss and https on the same port; the connect event has scheme wss', async () => {
      const harness = await server({ tls: { cert: tlsCert, key: tlsKey } });
      expect(harness.url).toMatch(/^https:/);
      const w = worker(harness.workerLayer, echo);
      const http = httpWorker(harness.workerLayer, async (io) => {
        await io.start(200, [['content-type', 'text/plain']]);
        await io.body('plain https', false);
      });
      workers.push(http);

      const ws = client(harness, '/ws/echo', undefined, { ca: tlsCert });
      expect(ws.url).toMatch(/^wss:\/\/127\.0\.0\.1:/);
      const inbox = new Inbox(ws);
      await opened(ws);
      ws.send('over tls');
      expect(await inbox.nextText()).toBe('over tls');
      const [connect] = ofType(w, 'websocket.connect');
      expect(connect).toMatchObject({ scheme: 'wss', path: '/ws/echo' });

      const body = await within(
        new Promise<string>((resolve, reject) => {
          https
            .get(`${harness.url}/hello`, { ca: tlsCert }, (res) => {
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => resolve(`${res.statusCode} ${Buffer.concat(chunks).toString()}`));
            })
            .on('error', reject);
        }),
        'the https response',
      );
      expect(body).toBe('200 plain https');
    });
  });
});
