import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WireMessage } from '../../channel-layer/index.js';
import type { ServerOptionsInput } from '../../interface-server/index.js';
import {
  closeOf,
  gate,
  handshake,
  openWebSocket,
  RawConnection,
  request,
  tryConnect,
  waitUntil,
  wsUrl,
} from '../helpers/limits-clients.js';
import { RedisServer } from '../helpers/redis-server.js';
import { httpWorker, websocketWorker, type ScriptedWorker } from '../helpers/scripted-worker.js';
import { startServer, type Harness, type LayerKind } from '../helpers/server-harness.js';

const WARN = 40;

let redis: RedisServer;
const harnesses: Harness[] = [];
const workers: ScriptedWorker[] = [];
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

async function serve(kind: LayerKind, options: ServerOptionsInput): Promise<Harness> {
  const harness = await startServer(kind, options, { redis: kind === 'redis' ? redis : undefined });
  harnesses.push(harness);
  return harness;
}

function keep<W extends ScriptedWorker>(worker: W): W {
  workers.push(worker);
  return worker;
}

describe.each(['memory', 'redis'] as const)('graceful shutdown on the %s layer', (kind) => {
  it('lets an in-flight request finish while refusing new connections once close() began', async () => {
    const h = await serve(kind, { shutdownTimeoutMs: 10_000, limits: { responseTimeoutMs: 10_000 } });
    const release = gate();
    cleanups.push(release.open);
    const worker = keep(
      httpWorker(h.workerLayer, async (io) => {
        await release.promise;
        await io.start(200, [['content-type', 'text/plain']]);
        await io.body('finished after close began');
      }),
    );
    const inFlight = request(h.url, '/slow');
    await waitUntil(() => worker.taken.length === 1, 5000, 'the worker to take the request');

    let closed = false;
    const closing = h.server.close().then(() => (closed = true));
    expect(await tryConnect(h.url)).toBe('ECONNREFUSED');
    expect(closed).toBe(false); // still waiting for the in-flight request

    release.open();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.text).toBe('finished after close began');
    await closing;
    expect(closed).toBe(true);
    expect(h.logs.some((l) => String(l.msg).includes('shutdown deadline passed'))).toBe(false);
  });

  it('closes idle keep-alive connections as soon as close() begins, while a request is still in flight', async () => {
    const h = await serve(kind, { shutdownTimeoutMs: 10_000, limits: { responseTimeoutMs: 10_000, keepAliveTimeoutMs: 60_000 } });
    const release = gate();
    cleanups.push(release.open);
    const worker = keep(
      httpWorker(h.workerLayer, async (io) => {
        if (io.request.path === '/slow') await release.promise;
        await io.start(200, [['content-type', 'text/plain'], ['content-length', '2']]);
        await io.body('ok');
      }),
    );
    const idle = await RawConnection.open(h.url);
    cleanups.push(() => idle.destroy());
    await idle.write('GET /quick HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await idle.waitForText('\r\n\r\nok', 5000); // answered; the connection stays open, idle

    const inFlight = request(h.url, '/slow');
    await waitUntil(() => worker.taken.some((m) => m.path === '/slow'), 5000, 'the worker to take /slow');
    const closing = h.server.close();

    expect(await idle.closesWithin(2000), 'the idle keep-alive connection was left open during shutdown').toBe(true);
    release.open();
    expect((await inFlight).status).toBe(200);
    await closing;
  });

  it('closes open WebSockets with 1001 and the worker receives websocket.disconnect for each', async () => {
    const h = await serve(kind, { shutdownTimeoutMs: 5000 });
    const events: WireMessage[] = [];
    keep(
      websocketWorker(h.workerLayer, async (io) => {
        events.push(io.event);
        if (io.event.type === 'websocket.connect') await io.accept();
        return {};
      }),
    );
    const a = await openWebSocket(wsUrl(h.url, '/a'));
    const b = await openWebSocket(wsUrl(h.url, '/b'));
    cleanups.push(() => a.terminate(), () => b.terminate());
    const closedA = closeOf(a);
    const closedB = closeOf(b);
    expect(h.server.connections).toBe(2);

    await h.server.close();
    expect(await closedA).toMatchObject({ code: 1001 });
    expect(await closedB).toMatchObject({ code: 1001 });
    const disconnects = events.filter((e) => e.type === 'websocket.disconnect');
    expect(disconnects).toHaveLength(2);
    expect(disconnects.map((e) => e.code)).toEqual([1001, 1001]);
    // One for each connection: the reply channels of the two connects.
    const connects = events.filter((e) => e.type === 'websocket.connect');
    expect(disconnects.map((e) => e.reply_channel).sort()).toEqual(connects.map((e) => e.reply_channel).sort());
    expect(new Set(connects.map((e) => e.reply_channel)).size).toBe(2);
    expect(h.server.connections).toBe(0);
  });

  it('refuses a WebSocket handshake still waiting for its worker with 503 on shutdown', async () => {
    const h = await serve(kind, { shutdownTimeoutMs: 5000, limits: { websocketHandshakeTimeoutMs: 10_000 } });
    const worker = keep(websocketWorker(h.workerLayer, async () => 'no-done'));
    const pending = handshake(wsUrl(h.url));
    await waitUntil(() => worker.taken.length === 1, 5000, 'the worker to take the connect');
    await h.server.close();
    expect(await pending).toMatchObject({ kind: 'refused', status: 503 });
  });

  it('cuts a request whose worker never answers at shutdownTimeoutMs, and close() resolves', async () => {
    const h = await serve(kind, { shutdownTimeoutMs: 300, limits: { responseTimeoutMs: 30_000 } });
    const worker = keep(httpWorker(h.workerLayer, async () => {})); // takes the request, never answers
    const outcome = request(h.url, '/never', { timeoutMs: 15_000 }).then(
      (res) => ({ status: res.status }),
      (error: Error) => ({ error: error.message }),
    );
    await waitUntil(() => worker.taken.length === 1, 5000, 'the worker to take the request');

    await h.server.close();
    const seen = await outcome;
    if ('status' in seen) expect(seen.status).toBeGreaterThanOrEqual(500);
    else expect(seen.error).not.toMatch(/no complete response/); // the connection was cut, not left hanging
    const line = h.logs.find((l) => l.msg === 'shutdown deadline passed, cutting connections');
    expect(line).toMatchObject({ level: WARN, left: 1 });
  });

  it('resolves close() at shutdownTimeoutMs even when a worker never finishes a WebSocket disconnect', async () => {
    const h = await serve(kind, { shutdownTimeoutMs: 300 });
    keep(
      websocketWorker(h.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') {
          await io.accept();
          return {};
        }
        return io.event.type === 'websocket.disconnect' ? 'no-done' : {};
      }),
    );
    const ws = await openWebSocket(wsUrl(h.url));
    cleanups.push(() => ws.terminate());
    const closed = closeOf(ws);
    await h.server.close();
    expect((await closed).code).toBe(1001);
    expect(h.logs.some((l) => l.msg === 'shutdown deadline passed, cutting connections')).toBe(true);
  });
});
