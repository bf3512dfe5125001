import { once } from 'node:events';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MemoryLayer } from '../../channel-layer/index.js';
import { createApp, json, stream, text, Worker } from '../../consumers/index.js';
import { HttpCommunicator, TestBed, WebSocketCommunicator, type TestFrame } from '../../consumers/testing/index.js';
import { InterfaceServer } from '../../interface-server/index.js';
import { MessageValidationError, ProtocolViolation } from '../../schemas/index.js';

/**
 * The test kit must answer as the interface server does. One app, every case run twice: through
 * `switchyard/testing` and through a real InterfaceServer + Worker with real clients (fetch, ws).
 * Where the server would close a connection with 1011 for a reply it refuses, the kit rejects
 * with the reason instead: that is the one mapping between the two.
 */
const app = createApp()
  .get('/hello', () => text('hello'))
  .get('/created', () => json({ made: true }, { status: 201 }))
  .get('/stream', () =>
    stream(
      (async function* () {
        yield 'a';
        yield 'b';
        yield 'c';
      })(),
    ),
  )
  .get('/throws', () => {
    throw new Error('boom');
  })
  .get('/bad-status', () => text('x', { status: 1000 }))
  .websocket('/ws/echo', { receive: (ctx, m) => ctx.send(`echo ${m.text ?? ''}`) })
  .websocket('/ws/deny', { connect: (ctx) => ctx.deny(403) })
  .websocket('/ws/unoffered', { connect: (ctx) => ctx.accept({ subprotocol: 'never-offered' }) })
  .websocket('/ws/close-1005', { receive: (ctx) => ctx.close(1005) })
  .websocket('/ws/raw-accept', {
    // A second accept sent around the consumer API, straight onto the connection's channel: only
    // the receiving end (the server, or the kit) can refuse it.
    receive: (ctx) => ctx.send(ctx.channel, { type: 'websocket.accept', subprotocol: null, headers: [] }),
  });

interface HttpOutcome {
  status: number;
  body: string;
  contentType: string | null;
}

interface WsOutcome {
  accepted: boolean;
  status?: number;
  frames: string[];
  close?: number;
}

const logger = pino({ level: 'silent' });
let layer: MemoryLayer;
let server: InterfaceServer;
let worker: Worker;
let base: string;
let bed: TestBed;

beforeAll(async () => {
  layer = new MemoryLayer();
  server = new InterfaceServer(layer, { port: 0, websocketPaths: app.manifest().websocketPaths, logger });
  worker = new Worker(app, layer, { logger });
  const { port } = await server.listen();
  await worker.start();
  base = `127.0.0.1:${port}`;
  bed = new TestBed(app);
});

afterAll(async () => {
  await server.close();
  await worker.stop();
  await layer.close();
  await bed.close();
});

async function viaServer(path: string): Promise<HttpOutcome> {
  const res = await fetch(`http://${base}${path}`);
  return { status: res.status, body: await res.text(), contentType: res.headers.get('content-type') };
}

async function viaKit(path: string): Promise<HttpOutcome> {
  const res = await new HttpCommunicator(bed).get(path);
  return { status: res.status, body: res.text(), contentType: res.headers.get('content-type') ?? null };
}

/** Connects, sends `frames` one by one, then closes (unless the app did) and tells what happened. */
async function wsViaServer(path: string, frames: string[], subprotocols: string[] = []): Promise<WsOutcome> {
  const ws = new WebSocket(`ws://${base}${path}`, subprotocols);
  const got: string[] = [];
  let heard: (() => void) | undefined;
  ws.on('message', (data) => {
    got.push(String(data));
    heard?.();
  });
  const closed = once(ws, 'close') as Promise<[number, Buffer]>;
  void closed.then(() => heard?.());
  const status = await new Promise<number | undefined>((resolve, reject) => {
    ws.once('open', () => resolve(undefined));
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode);
      res.resume();
    });
    ws.once('error', reject);
  });
  if (status !== undefined) return { accepted: false, status, frames: [] };
  for (const frame of frames) {
    // One frame at a time, as the kit sends them: the next goes once this one's answer (a frame
    // or the close) arrived, or after a second without one (the app may answer nothing).
    const answered = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      heard = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    ws.send(frame);
    await answered;
    if (ws.readyState !== WebSocket.OPEN) break;
  }
  if (ws.readyState === WebSocket.OPEN) ws.close(1000);
  const [code] = await closed;
  return { accepted: true, frames: got, close: code };
}

async function wsViaKit(path: string, frames: string[], subprotocols: string[] = []): Promise<WsOutcome> {
  const ws = new WebSocketCommunicator(bed, path, { subprotocols });
  const result = await ws.connect().catch(refusal);
  if ('refused' in result) return { accepted: true, frames: [], close: 1011 };
  if (!result.accepted) return { accepted: false, status: result.status, frames: [] };
  const got: TestFrame[] = [];
  for (const frame of frames) {
    const sent = await ws.sendText(frame).then(() => undefined, refusal);
    if (sent !== undefined) return { accepted: true, frames: texts(got), close: 1011 };
    for (;;) {
      const next = await ws.receive(200).catch(() => undefined);
      if (next === undefined) break;
      got.push(next);
    }
  }
  const closedByApp = got.find((frame): frame is { close: { code: number; reason: string } } => 'close' in frame);
  if (closedByApp) return { accepted: true, frames: texts(got), close: closedByApp.close.code };
  await ws.disconnect(1000);
  return { accepted: true, frames: texts(got), close: 1000 };
}

/** A reply the server would refuse (closing 1011): the kit rejects with the reason. */
function refusal(error: unknown): { refused: Error } {
  if (error instanceof ProtocolViolation || error instanceof MessageValidationError) return { refused: error };
  throw error;
}

function texts(frames: TestFrame[]): string[] {
  return frames.flatMap((frame) => ('text' in frame ? [frame.text] : []));
}

describe('the test kit answers as the interface server does', () => {
  for (const path of ['/hello', '/created', '/stream', '/throws', '/bad-status', '/missing']) {
    it(`HTTP GET ${path}`, async () => {
      const kit = await viaKit(path);
      expect(kit).toEqual(await viaServer(path));
    });
  }

  const cases: { path: string; frames: string[]; subprotocols?: string[]; expected: WsOutcome }[] = [
    { path: '/ws/echo', frames: ['one', 'two'], expected: { accepted: true, frames: ['echo one', 'echo two'], close: 1000 } },
    { path: '/ws/deny', frames: [], expected: { accepted: false, status: 403, frames: [] } },
    // The worker refuses the accept before it leaves (a subprotocol the client never offered): 500.
    { path: '/ws/unoffered', frames: [], subprotocols: ['chat'], expected: { accepted: false, status: 500, frames: [] } },
    // Code 1005 may not be sent in a close frame: the worker refuses it, the connection closes 1011.
    { path: '/ws/close-1005', frames: ['x'], expected: { accepted: true, frames: [], close: 1011 } },
    // A raw second accept reaches the receiving end, which closes with 1011 (the kit: rejects).
    { path: '/ws/raw-accept', frames: ['x'], expected: { accepted: true, frames: [], close: 1011 } },
  ];
  for (const { path, frames, subprotocols, expected } of cases) {
    it(`WebSocket ${path}`, async () => {
      const kit = await wsViaKit(path, frames, subprotocols);
      const real = await wsViaServer(path, frames, subprotocols);
      expect(real).toEqual(expected);
      expect(kit).toEqual(real);
    });
  }
});
