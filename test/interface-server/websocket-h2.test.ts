import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import http2, { type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { WireMessage } from '../../channel-layer/index.js';
import { RedisServer } from '../helpers/redis-server.js';
import { websocketWorker, type ScriptedWorker } from '../helpers/scripted-worker.js';
import { startServer, type Harness, type LayerKind } from '../helpers/server-harness.js';

/**
 * An RFC 8441 client: the node:http2 client opens an extended CONNECT stream, and `ws` speaks
 * its ordinary client framing (masked frames) over that stream.
 */
const ClientSideWebSocket = WebSocket as unknown as new (address: null, protocols: undefined, options: object) => WebSocket & {
  _isServer: boolean;
  setSocket(socket: Duplex, head: Buffer, options: { maxPayload: number }): void;
};

interface H2Answer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  stream: ClientHttp2Stream;
  ws?: WebSocket;
  body?: string;
}

async function connectH2(session: ClientHttp2Session, path: string, extra: Record<string, string> = {}): Promise<H2Answer> {
  if (!session.remoteSettings.enableConnectProtocol) await once(session, 'remoteSettings');
  const stream = session.request({ ':method': 'CONNECT', ':protocol': 'websocket', ':path': path, 'sec-websocket-version': '13', ...extra });
  const [headers] = (await once(stream, 'response')) as [http2.IncomingHttpHeaders];
  const status = Number(headers[':status']);
  if (status !== 200) {
    let body = '';
    for await (const chunk of stream) body += chunk;
    return { status, headers, stream, body };
  }
  const ws = new ClientSideWebSocket(null, undefined, {});
  ws._isServer = false; // client framing: masked frames out, unmasked in
  ws.setSocket(stream, Buffer.alloc(0), { maxPayload: 1 << 20 });
  return { status, headers, stream, ws };
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; binary: boolean }> {
  return new Promise((resolve) => ws.once('message', (data: Buffer, binary: boolean) => resolve({ data, binary })));
}

let cert: Buffer;
let key: Buffer;
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'sy-h2ws-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'cert.pem'));
  key = readFileSync(join(dir, 'key.pem'));
});

describe.each(['memory', 'redis'] as const)('WebSocket over HTTP/2 (RFC 8441) on the %s layer', (kind: LayerKind) => {
  let redis: RedisServer | undefined;
  let harness: Harness | undefined;
  let worker: ScriptedWorker | undefined;
  const sessions: ClientHttp2Session[] = [];
  const events: WireMessage[] = [];

  beforeAll(async () => {
    if (kind === 'redis') redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    for (const session of sessions.splice(0)) session.destroy();
    await harness?.close(); // while the worker still answers the disconnect events
    await worker?.stop();
    events.length = 0;
  });

  /** A server whose worker echoes, counts in state, and denies /ws/private. */
  async function start(tls: boolean, options = {}): Promise<ClientHttp2Session> {
    harness = await startServer(kind, { websocketPaths: ['/ws/echo', '/ws/private'], ...(tls ? { tls: { cert, key } } : {}), ...options }, { redis });
    worker = websocketWorker(harness.workerLayer, async (io) => {
      events.push(io.event);
      const count = ((io.state?.count as number | undefined) ?? 0) + 1;
      if (io.event.type === 'websocket.connect') {
        if (io.event.path === '/ws/private') await io.send({ type: 'websocket.close', code: 1000, status: 401, body: Buffer.from('token please') });
        else await io.accept((io.event.subprotocols as string[]).includes('chat') ? 'chat' : null, [['x-served-by', 'h2']]);
      } else if (io.event.type === 'websocket.receive') {
        if (io.event.text === 'close me') await io.close(4005, 'as asked');
        else if (io.event.text !== undefined) await io.text(`${io.event.text} #${count}`);
        else await io.bytes(io.event.bytes as Uint8Array);
      }
      return { count };
    });
    const session = http2.connect(harness.url, tls ? { ca: cert } : {});
    sessions.push(session);
    return session;
  }

  for (const tls of [false, true]) {
    const transport = tls ? 'h2 over TLS' : 'h2c';

    it(`${transport}: advertises extended CONNECT and echoes text and bytes, with state`, async () => {
      const session = await start(tls);
      const { status, ws } = await connectH2(session, '/ws/echo');
      expect(status).toBe(200);
      expect(session.remoteSettings.enableConnectProtocol).toBe(true);
      ws!.send('hi');
      expect((await nextMessage(ws!)).data.toString()).toBe('hi #2');
      ws!.send('again');
      expect((await nextMessage(ws!)).data.toString()).toBe('again #3');
      ws!.send(Buffer.from([0, 1, 255]));
      const echoed = await nextMessage(ws!);
      expect([echoed.binary, [...echoed.data]]).toEqual([true, [0, 1, 255]]);
      const connect = events.find((e) => e.type === 'websocket.connect')!;
      expect([connect.http_version, connect.scheme, connect.path]).toEqual(['2', tls ? 'wss' : 'ws', '/ws/echo']);
    });
  }

  it('answers with the chosen subprotocol and extra headers', async () => {
    const session = await start(false);
    const { status, headers } = await connectH2(session, '/ws/echo', { 'sec-websocket-protocol': 'other, chat' });
    expect(status).toBe(200);
    expect(headers['sec-websocket-protocol']).toBe('chat');
    expect(headers['x-served-by']).toBe('h2');
  });

  it("passes on a worker's denial, and refuses unknown paths and other CONNECTs itself", async () => {
    const session = await start(false);
    expect(await connectH2(session, '/ws/private')).toMatchObject({ status: 401, body: 'token please' });
    expect(await connectH2(session, '/elsewhere')).toMatchObject({ status: 404 });
    expect(await connectH2(session, '/ws/echo', { ':protocol': 'not-websocket' })).toMatchObject({ status: 405 });
    const otherVersion = await connectH2(session, '/ws/echo', { 'sec-websocket-version': '8' });
    expect(otherVersion).toMatchObject({ status: 426 });
    expect(otherVersion.headers['sec-websocket-version']).toBe('13');
    expect(events.map((e) => e.path)).toEqual(['/ws/private']);
  });

  it('carries several WebSockets on one HTTP/2 connection, each closing on its own', async () => {
    const session = await start(false);
    const [a, b] = await Promise.all([connectH2(session, '/ws/echo'), connectH2(session, '/ws/echo')]);
    a.ws!.send('to a');
    b.ws!.send('to b');
    expect((await nextMessage(a.ws!)).data.toString()).toBe('to a #2');
    expect((await nextMessage(b.ws!)).data.toString()).toBe('to b #2');
    const closed = once(a.ws!, 'close');
    a.ws!.send('close me');
    const [code, reason] = (await closed) as [number, Buffer];
    expect([code, reason.toString()]).toEqual([4005, 'as asked']);
    b.ws!.send('still here');
    expect((await nextMessage(b.ws!)).data.toString()).toBe('still here #3');
  });

  it('tells the worker when the client closes', async () => {
    const session = await start(false);
    const { ws } = await connectH2(session, '/ws/echo');
    ws!.close(4002, 'bye');
    await expect.poll(() => events.find((e) => e.type === 'websocket.disconnect')).toMatchObject({ code: 4002, reason: 'bye' });
  });

  it('does not advertise extended CONNECT when websocket.http2 is off', async () => {
    const session = await start(false, { websocket: { http2: false } });
    await once(session, 'remoteSettings');
    expect(session.remoteSettings.enableConnectProtocol).toBe(false);
  });
});
