import { setTimeout as sleep } from 'node:timers/promises';
import http2 from 'node:http2';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LayerOptionsInput } from '../../channel-layer/index.js';
import type { ServerOptionsInput } from '../../interface-server/index.js';
import {
  channelDepth,
  closeOf,
  handshake,
  openWebSocket,
  RawConnection,
  request,
  waitUntil,
  wsUrl,
} from '../helpers/limits-clients.js';
import { RedisServer } from '../helpers/redis-server.js';
import { httpWorker, idleReceiver, websocketWorker, type HttpIO, type ScriptedWorker } from '../helpers/scripted-worker.js';
import { startServer, type Harness, type LayerKind, type LogLine } from '../helpers/server-harness.js';

const ERROR = 50;
const WARN = 40;

let redis: RedisServer;
const harnesses: Harness[] = [];
const workers: ScriptedWorker[] = [];
const sockets: { close(): void }[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await Promise.all(harnesses.splice(0).map((h) => h.close()));
});

/** A server on `kind`; a short shutdown deadline so a test's leftover requests do not hold up the next. */
async function serve(kind: LayerKind, options: ServerOptionsInput = {}, layer: LayerOptionsInput = {}): Promise<Harness> {
  const harness = await startServer(kind, { shutdownTimeoutMs: 300, ...options }, { redis: kind === 'redis' ? redis : undefined, layer });
  harnesses.push(harness);
  return harness;
}

function keep<W extends ScriptedWorker>(worker: W): W {
  workers.push(worker);
  return worker;
}

/** A worker that reads the whole body and answers 200 with its size. */
function echoSize(harness: Harness): ScriptedWorker {
  return keep(
    httpWorker(harness.workerLayer, async (io) => {
      const body = await io.readBody();
      await io.start(200, [['content-type', 'text/plain']]);
      await io.body(`got ${body.length} bytes`);
    }),
  );
}

function errorLines(harness: Harness): LogLine[] {
  return harness.logs.filter((line) => line.level === ERROR);
}

describe('header limits', () => {
  it('answers 431 to a request whose headers exceed the default maxHeaderBytes (16 KiB), without a worker', async () => {
    const h = await serve('memory');
    const worker = echoSize(h);
    const res = await request(h.url, '/big-header', { headers: { 'x-big': 'a'.repeat(20 * 1024) } });
    expect(res.status).toBe(431);
    expect(worker.taken).toHaveLength(0);
  });

  it('honours a smaller maxHeaderBytes: 2 KiB of headers pass under a 4 KiB limit, 6 KiB get 431', async () => {
    const h = await serve('memory', { limits: { maxHeaderBytes: 4096 } });
    const worker = echoSize(h);
    const small = await request(h.url, '/small', { headers: { 'x-big': 'a'.repeat(2 * 1024) } });
    expect(small.status).toBe(200);
    const big = await request(h.url, '/big', { headers: { 'x-big': 'a'.repeat(6 * 1024) } });
    expect(big.status).toBe(431);
    expect(worker.taken).toHaveLength(1);
  });
});

describe('header limits on HTTP/2', () => {
  /** One h2c request with an `x-big` header of `bytes`; its status, or the stream's error code. */
  async function h2Get(url: string, bytes: number, method = 'GET'): Promise<number | string> {
    const session = http2.connect(url);
    session.on('error', () => {});
    try {
      const headers = { ':method': method, ':path': '/h2-headers', 'x-big': 'a'.repeat(bytes), ...(method === 'CONNECT' ? { ':protocol': 'websocket', ':scheme': 'http' } : {}) };
      const stream = session.request(headers, method === 'CONNECT' ? {} : { endStream: true });
      return await new Promise<number | string>((resolve) => {
        stream.on('response', (response) => {
          resolve(response[':status'] as number);
          stream.close();
        });
        stream.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        stream.on('close', () => resolve(`closed with ${stream.rstCode}`));
      });
    } finally {
      session.close();
    }
  }

  it('answers 431 past maxHeaderBytes, as HTTP/1.1 does, instead of resetting the stream; the worker takes nothing', async () => {
    const h = await serve('memory', { limits: { maxHeaderBytes: 4096 } });
    const worker = echoSize(h);
    expect(await h2Get(h.url, 2 * 1024)).toBe(200);
    expect(await h2Get(h.url, 6 * 1024)).toBe(431);
    expect(worker.taken).toHaveLength(1);
  });

  it('answers 431 to a WebSocket over HTTP/2 (extended CONNECT) past maxHeaderBytes', async () => {
    const h = await serve('memory', { limits: { maxHeaderBytes: 4096 } });
    expect(await h2Get(h.url, 6 * 1024, 'CONNECT')).toBe(431);
  });

  it('still resets a stream whose headers pass the limit it announces (twice maxHeaderBytes, 64 KiB at least)', async () => {
    const h = await serve('memory', { limits: { maxHeaderBytes: 4096 } });
    expect(await h2Get(h.url, 100 * 1024)).toBe('ERR_HTTP2_STREAM_ERROR');
  });
});

describe('body limits', () => {
  it('answers 413 to a Content-Length over maxBodyBytes at once, and the worker takes nothing', async () => {
    const h = await serve('memory', { limits: { maxBodyBytes: 1024 } });
    const worker = echoSize(h);
    const res = await request(h.url, '/upload', { method: 'POST', body: Buffer.alloc(2048, 'x') });
    expect(res.status).toBe(413);
    expect(res.text).toBe('request body too large\n');
    expect(res.headers.connection).toBe('close');
    // A body within the limit goes through, so the 413 was the limit's doing.
    const fits = await request(h.url, '/upload', { method: 'POST', body: Buffer.alloc(1000, 'x') });
    expect(fits.status).toBe(200);
    expect(fits.text).toBe('got 1000 bytes');
    expect(worker.taken).toHaveLength(1);
    expect(worker.taken[0]!.path).toBe('/upload');
  });

  it('answers 413 to a chunked body (no Content-Length) over maxBodyBytes sent in one go', async () => {
    const h = await serve('memory', { limits: { maxBodyBytes: 1024 } });
    echoSize(h);
    const chunks = Array.from({ length: 8 }, () => Buffer.alloc(512, 'y'));
    const res = await request(h.url, '/upload', { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: chunks });
    expect(res.status).toBe(413);
    expect(res.text).toBe('request body too large\n');
  });

  it('answers 413 to a chunked body that grows past maxBodyBytes while the worker reads it', async () => {
    const h = await serve('memory', { limits: { maxBodyBytes: 1024 } });
    const worker = echoSize(h);
    const conn = await RawConnection.open(h.url);
    sockets.push({ close: () => conn.destroy() });
    const chunk = (bytes: number): string => `${bytes.toString(16)}\r\n${'z'.repeat(bytes)}\r\n`;
    await conn.write(`POST /grow HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(600)}`);
    await waitUntil(() => worker.taken.length === 1, 5000, 'the worker to take the request');
    expect(worker.taken[0]!.more_body).toBe(true);
    await conn.write(chunk(600)); // 1200 bytes now: over the limit
    await conn.waitForText('\r\n\r\nrequest body too large\n', 5000);
    expect(conn.text.startsWith('HTTP/1.1 413 ')).toBe(true);
  });

  it('closes the connection after a 413 for a chunked body that grew past the limit and then stalled', async () => {
    const h = await serve('memory', { limits: { maxBodyBytes: 1024 } });
    const worker = echoSize(h);
    const conn = await RawConnection.open(h.url);
    sockets.push({ close: () => conn.destroy() });
    const chunk = (bytes: number): string => `${bytes.toString(16)}\r\n${'z'.repeat(bytes)}\r\n`;
    await conn.write(`POST /grow HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(600)}`);
    await waitUntil(() => worker.taken.length === 1, 5000, 'the worker to take the request');
    await conn.write(chunk(600));
    await conn.waitForText('request body too large\n', 5000);
    // The server says it will close; it reads on for a while (so a client still sending can
    // read the 413), but a body that never ends does not keep the connection: 5 s at most.
    expect(conn.text.toLowerCase()).toContain('connection: close');
    expect(await conn.closesWithin(8000)).toBe(true);
  });
});

describe('an oversized body refused in a way the client can read', () => {
  /**
   * What simple clients do: send the whole request, then read. Closing on unread bytes would
   * reset the connection, and such a client would see EPIPE and no status line.
   */
  async function sendAllThenRead(url: string, head: string, body: Buffer[]): Promise<{ text: string; writeError?: string; closed: boolean }> {
    const conn = await RawConnection.open(url);
    sockets.push({ close: () => conn.destroy() });
    let writeError: string | undefined;
    try {
      await conn.write(head);
      for (const piece of body) await conn.write(piece);
    } catch (error) {
      writeError = (error as NodeJS.ErrnoException).code ?? String(error);
    }
    await conn.waitForText('request body too large\n', 10_000);
    return { text: conn.text, writeError, closed: await conn.closesWithin(5000) };
  }

  const MiB = Buffer.alloc(1024 * 1024, 'b');

  it.each([
    ['a Content-Length over the limit, on a keep-alive connection', ''],
    ['a Content-Length over the limit, with Connection: close', 'Connection: close\r\n'],
  ])('%s: 20 MiB sent in full, then the 413 read, then the connection closed', async (_, extra) => {
    const h = await serve('memory', { limits: { maxBodyBytes: 1024 } });
    const worker = echoSize(h);
    const got = await sendAllThenRead(h.url, `POST /upload HTTP/1.1\r\nHost: localhost\r\nContent-Length: ${20 * MiB.length}\r\n${extra}\r\n`, Array(20).fill(MiB));
    expect(got.writeError).toBeUndefined();
    expect(got.text).toMatch(/^HTTP\/1\.1 413 [^]*connection: close/i);
    expect(got.closed).toBe(true);
    expect(worker.taken).toHaveLength(0);
  });

  it('a chunked body that grows past the limit while the worker reads it: sent in full, then the 413 read', async () => {
    const h = await serve('memory', { limits: { maxBodyBytes: 1024 } });
    echoSize(h);
    const chunk = (bytes: Buffer): Buffer => Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from('\r\n')]);
    const got = await sendAllThenRead(h.url, 'POST /grow HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n', [...Array(20).fill(chunk(MiB)), Buffer.from('0\r\n\r\n')]);
    expect(got.writeError).toBeUndefined();
    expect(got.text).toMatch(/^HTTP\/1\.1 413 /);
    expect(got.closed).toBe(true);
  });
});

describe.each(['memory', 'redis'] as const)('response timeouts on the %s layer', (kind) => {
  it('answers 503 at once, with Retry-After, when no worker is up for the channel; the request waits for one that is', async () => {
    const h = await serve(kind, { limits: { responseTimeoutMs: 10_000 } });
    const refused = await fetch(`${h.url}/nobody`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.text()).toBe('no worker is running, try again later\n');
    expect(h.logs.some((l) => l.level === WARN && String(l.msg).includes('no live worker takes http.request'))).toBe(true);
    const refusedWs = await handshake(wsUrl(h.url, '/ws'));
    expect(refusedWs).toMatchObject({ kind: 'refused', status: 503 });
    // A worker starts: the next request is its.
    keep(httpWorker(h.workerLayer, async (io) => {
      await io.start(200, [['content-type', 'text/plain']]);
      await io.body('here', false);
    }));
    await waitUntil(async () => (await fetch(`${h.url}/again`)).status === 200, 5000, 'a 200 once a worker is up');
  });

  it('answers 504 after responseTimeoutMs when a worker is up but takes nothing', async () => {
    const h = await serve(kind, { limits: { responseTimeoutMs: 300 } });
    await idleReceiver(h.workerLayer, 'http.request');
    const res = await fetch(`${h.url}/nobody`);
    expect(res.status).toBe(504);
    expect(await res.text()).toBe('no answer from the application in time\n');
    const line = h.logs.find((l) => l.level === WARN && l.msg.includes('no answer from a worker on http.request'));
    expect(line).toBeDefined();
    expect(line!.path).toBe('/nobody');
  });

  it('cuts a started response off after responseIdleTimeoutMs when the worker stalls', async () => {
    const h = await serve(kind, { limits: { responseTimeoutMs: 5000, responseIdleTimeoutMs: 300 } });
    keep(
      httpWorker(h.workerLayer, async (io) => {
        await io.start(200, [['content-type', 'text/plain']]);
        await io.body('partial', true); // … and nothing more
      }),
    );
    const res = await fetch(`${h.url}/stall`);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(h.logs.some((l) => l.level === WARN && String(l.msg).includes('response stalled'))).toBe(true);
  });
});

describe.each(['memory', 'redis'] as const)('a full channel on the %s layer', (kind) => {
  it('answers 503 at once while the first request still waits in the channel', async () => {
    const h = await serve(kind, { limits: { responseTimeoutMs: 10_000 } }, { capacity: 1 });
    await idleReceiver(h.workerLayer, 'http.request');
    const abort = new AbortController();
    let firstSettled = false;
    const first = fetch(`${h.url}/first`, { signal: abort.signal }).then(
      (res) => res.status,
      () => 'aborted',
    );
    void first.finally(() => (firstSettled = true));
    await waitUntil(async () => (await channelDepth(h, 'http.request')) === 1, 5000, 'the first request on http.request');

    const second = await fetch(`${h.url}/second`);
    expect(second.status).toBe(503);
    expect(await second.text()).toBe('server busy, try again later\n');
    expect(firstSettled).toBe(false); // the 503 came while the first was still pending
    abort.abort();
    expect(await first).toBe('aborted');
  });
});

describe('Redis going away', () => {
  let own: RedisServer;
  beforeAll(async () => {
    own = await RedisServer.start();
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('answers 503 at once while Redis is down (a waiting request too), and 200 again once it is back', async () => {
    const h = await startServer('redis', { shutdownTimeoutMs: 300, limits: { responseTimeoutMs: 15_000 } }, { redis: own });
    harnesses.push(h);
    const worker = keep(
      httpWorker(h.workerLayer, async (io) => {
        if (io.request.path === '/slow') return; // never answers: the request waits on its reply channel
        await io.start(200, [['content-type', 'text/plain']]);
        await io.body('ok');
      }),
    );
    const before = await fetch(`${h.url}/`);
    expect(before.status).toBe(200);
    expect(await before.text()).toBe('ok');

    const waiting = fetch(`${h.url}/slow`);
    await waitUntil(() => worker.taken.some((m) => m.path === '/slow'), 5000, 'the worker to take /slow');
    await own.kill();

    const during = await fetch(`${h.url}/`);
    expect(during.status).toBe(503);
    expect(await during.text()).toBe('service unavailable, try again later\n');
    const waited = await waiting;
    expect(waited.status).toBe(503);
    const ws = await handshake(wsUrl(h.url));
    expect(ws).toMatchObject({ kind: 'refused', status: 503 });

    await own.start();
    let after: Response | undefined;
    await waitUntil(
      async () => {
        after = await fetch(`${h.url}/`);
        if (after.status === 200) return true;
        await after.text();
        return false;
      },
      15_000,
      'a 200 after Redis came back',
      100,
    );
    expect(await after!.text()).toBe('ok');
  });
});

describe.each(['memory', 'redis'] as const)('malformed and out-of-order worker messages on the %s layer', (kind) => {
  /**
   * `/good` starts its response and finishes it only once the bad request has failed, so the
   * two exchanges overlap.
   */
  async function setUp(bad: (io: HttpIO) => Promise<void>): Promise<Harness> {
    const h = await serve(kind, { limits: { responseTimeoutMs: 5000 } });
    keep(
      httpWorker(h.workerLayer, async (io) => {
        if (io.request.path !== '/good') return bad(io);
        await io.start(200, [['content-type', 'text/plain']]);
        await waitUntil(() => errorLines(h).length > 0, 5000, 'the bad request to fail');
        await io.body('fine');
      }),
    );
    return h;
  }

  it('answers 500 to an http.response.start with status 99, logs channel, type and field, and leaves another request unharmed', async () => {
    const h = await setUp((io) => io.send({ type: 'http.response.start', status: 99, headers: [] }));
    const [good, bad] = await Promise.all([fetch(`${h.url}/good`), fetch(`${h.url}/bad`)]);
    expect(bad.status).toBe(500);
    expect(await bad.text()).toBe('internal server error\n');
    expect(good.status).toBe(200);
    expect(await good.text()).toBe('fine');
    const lines = errorLines(h);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ channel: 'http.request', messageType: 'http.response.start', field: 'status', path: '/bad' });
    expect(lines[0]!.msg).toContain('malformed message from the worker for http.request');
  });

  it('answers 500 to headers with an upper-case name, naming the field and not the header value', async () => {
    const h = await setUp((io) => io.start(200, [['X-Upper', 'secret-value-123']]));
    const [good, bad] = await Promise.all([fetch(`${h.url}/good`), fetch(`${h.url}/bad`)]);
    expect(bad.status).toBe(500);
    expect(good.status).toBe(200);
    expect(await good.text()).toBe('fine');
    const lines = errorLines(h);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ channel: 'http.request', messageType: 'http.response.start', field: 'headers[0][0]' });
    expect(JSON.stringify(lines[0])).not.toContain('secret-value-123');
  });

  it('cuts a started response off when a later body message fails its schema, logging the field', async () => {
    const h = await setUp(async (io) => {
      await io.start(200, [['content-type', 'text/plain']]);
      await io.send({ type: 'http.response.body', body: Buffer.from('first part '), more_body: true });
      await io.send({ type: 'http.response.body', body: 'not bytes', more_body: false });
    });
    const [good, bad] = await Promise.all([fetch(`${h.url}/good`), fetch(`${h.url}/bad`)]);
    expect(bad.status).toBe(200);
    await expect(bad.text()).rejects.toThrow();
    expect(good.status).toBe(200);
    expect(await good.text()).toBe('fine');
    const lines = errorLines(h);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ channel: 'http.request', messageType: 'http.response.body', field: 'body', path: '/bad' });
  });

  it('answers 500 to a whole http.response whose body is not bytes, naming the field', async () => {
    const h = await setUp((io) => io.send({ type: 'http.response', status: 200, headers: [], body: 'not bytes' }));
    const [good, bad] = await Promise.all([fetch(`${h.url}/good`), fetch(`${h.url}/bad`)]);
    expect(bad.status).toBe(500);
    expect(good.status).toBe(200);
    expect(await good.text()).toBe('fine');
    const lines = errorLines(h);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ channel: 'http.request', messageType: 'http.response', field: 'body', path: '/bad' });
  });

  it('cuts a started response off when a whole http.response follows its start', async () => {
    const h = await setUp(async (io) => {
      await io.start(200, [['content-type', 'text/plain']]);
      await io.send({ type: 'http.response.body', body: Buffer.from('first part '), more_body: true });
      await io.send({ type: 'http.response', status: 200, headers: [], body: Buffer.from('again') });
    });
    const [good, bad] = await Promise.all([fetch(`${h.url}/good`), fetch(`${h.url}/bad`)]);
    expect(bad.status).toBe(200);
    await expect(bad.text()).rejects.toThrow();
    expect(good.status).toBe(200);
    const lines = errorLines(h);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toContain('out-of-order message from the worker for http.request: expected "http.response.body", got "http.response"');
  });

  it('answers 500 to an http.response.body before http.response.start, with an error log line', async () => {
    const h = await setUp((io) => io.send({ type: 'http.response.body', body: Buffer.from('too early'), more_body: false }));
    const [good, bad] = await Promise.all([fetch(`${h.url}/good`), fetch(`${h.url}/bad`)]);
    expect(bad.status).toBe(500);
    expect(await bad.text()).toBe('internal server error\n');
    expect(good.status).toBe(200);
    expect(await good.text()).toBe('fine');
    const lines = errorLines(h);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.msg).toContain('out-of-order message from the worker for http.request');
    expect(lines[0]!.msg).toContain('http.response.body');
    expect(lines[0]).toMatchObject({ channel: 'http.request', path: '/bad' });
  });
});

describe('Host header check', () => {
  async function hostServer(allowedHosts: string[]): Promise<Harness> {
    const h = await serve('memory', { allowedHosts, limits: { responseTimeoutMs: 5000 } });
    keep(
      httpWorker(h.workerLayer, async (io) => {
        await io.start(200, [['content-type', 'text/plain']]);
        await io.body('through');
      }),
    );
    return h;
  }

  it('with allowedHosts ["example.com"]: 400 for Host 127.0.0.1:PORT and sub.example.com, through for example.com', async () => {
    const h = await hostServer(['example.com']);
    const byAddress = await request(h.url, '/', { headers: { host: new URL(h.url).host } });
    expect(byAddress.status).toBe(400);
    expect(byAddress.text).toBe('invalid Host header\n');
    const exact = await request(h.url, '/', { headers: { host: 'example.com' } });
    expect(exact.status).toBe(200);
    expect(exact.text).toBe('through');
    const withPort = await request(h.url, '/', { headers: { host: 'Example.COM:8080' } });
    expect(withPort.status).toBe(200);
    expect((await request(h.url, '/', { headers: { host: 'sub.example.com' } })).status).toBe(400);
  });

  it('with allowedHosts [".example.com"]: the domain and its subdomains get through, look-alikes get 400', async () => {
    const h = await hostServer(['.example.com']);
    for (const host of ['example.com', 'api.example.com', 'a.b.example.com:8443']) {
      expect((await request(h.url, '/', { headers: { host } })).status, host).toBe(200);
    }
    for (const host of ['badexample.com', 'example.com.evil.org', new URL(h.url).host]) {
      expect((await request(h.url, '/', { headers: { host } })).status, host).toBe(400);
    }
  });

  it('refuses a WebSocket handshake with a Host not allowed with 400, before any worker', async () => {
    const h = await serve('memory', { allowedHosts: ['example.com'] });
    const worker = keep(
      websocketWorker(h.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') await io.accept();
        return {};
      }),
    );
    const refused = await handshake(wsUrl(h.url));
    expect(refused).toMatchObject({ kind: 'refused', status: 400 });
    expect(worker.taken).toHaveLength(0);
    const ws = await openWebSocket(wsUrl(h.url), { headers: { host: 'example.com' } });
    sockets.push(ws);
    expect(worker.taken).toHaveLength(1);
  });
});

describe('slow and idle clients', () => {
  it('closes a connection that sends nothing within headersTimeoutMs', async () => {
    const h = await serve('memory', { limits: { headersTimeoutMs: 500 } });
    const conn = await RawConnection.open(h.url);
    sockets.push({ close: () => conn.destroy() });
    expect(await conn.closesWithin(6000)).toBe(true);
  });

  // Node's HTTP server enforces headersTimeout / requestTimeout only for connections it tracks,
  // and it tracks (and checks, every connectionsCheckingInterval, 30 s by default) only once the
  // http.Server itself emits 'listening'. The listener hands sockets to an http.Server that never
  // listens (server.emit('connection', socket)), so neither limit is ever applied.
  it('closes a connection that sends only part of its request headers after headersTimeoutMs', async () => {
    const h = await serve('memory', { limits: { headersTimeoutMs: 500 } });
    const conn = await RawConnection.open(h.url);
    sockets.push({ close: () => conn.destroy() });
    await conn.write('GET /slowloris HTTP/1.1\r\nHost: localhost\r\nX-Partial: ');
    expect(await conn.closesWithin(6000), 'still open 6 s after partial headers, headersTimeoutMs 500').toBe(true);
  });

  it('answers 408 and closes when the client stalls a body the worker is reading, after requestTimeoutMs', async () => {
    const h = await serve('memory', { limits: { headersTimeoutMs: 500, requestTimeoutMs: 1000 } });
    echoSize(h);
    const conn = await RawConnection.open(h.url);
    sockets.push({ close: () => conn.destroy() });
    // Complete headers, 10 of the 100 announced body bytes, then nothing.
    await conn.write('POST /trickle HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789');
    await conn.waitForText('request timeout\n', 6000);
    expect(conn.text).toMatch(/^HTTP\/1\.1 408 /);
    expect(await conn.closesWithin(3000)).toBe(true);
  });

  it('does not count against requestTimeoutMs the time the server holds the client back for a worker that reads slowly', async () => {
    const h = await serve('memory', { limits: { requestTimeoutMs: 500, bodyChunkBytes: 16 * 1024 } });
    keep(
      httpWorker(h.workerLayer, async (io) => {
        let bytes = (io.request.body as Uint8Array).length;
        for (let more = io.request.more_body; more; ) {
          await sleep(50); // 32 chunks, 50 ms each: 1.6 s in all, past requestTimeoutMs three times over
          await io.pull(1);
          let message = await io.next();
          while (message.type !== 'http.request.body') message = await io.next();
          bytes += (message.body as Uint8Array).length;
          more = message.more_body === true;
        }
        await io.start(200, [['content-type', 'text/plain']]);
        await io.body(`got ${bytes} bytes`);
      }),
    );
    const res = await request(h.url, '/slow-reader', { method: 'POST', body: Buffer.alloc(512 * 1024, 's') });
    expect(res.status).toBe(200);
    expect(res.text).toBe(`got ${512 * 1024} bytes`);
  }, 30_000);

  it('closes an idle keep-alive connection after keepAliveTimeoutMs', async () => {
    const h = await serve('memory', { limits: { keepAliveTimeoutMs: 500 } });
    keep(
      httpWorker(h.workerLayer, async (io) => {
        await io.start(200, [['content-type', 'text/plain'], ['content-length', '2']]);
        await io.body('ok');
      }),
    );
    const conn = await RawConnection.open(h.url);
    sockets.push({ close: () => conn.destroy() });
    await conn.write('GET /ka HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n');
    await conn.waitForText('\r\n\r\nok', 5000);
    expect(conn.text.startsWith('HTTP/1.1 200 ')).toBe(true);
    expect(conn.closed).toBe(false);
    expect(await conn.closesWithin(5000)).toBe(true);
  });
});

describe('WebSocket limits', () => {
  /** A worker that accepts every connection and finishes every event. */
  function accepting(h: Harness): ScriptedWorker {
    return keep(
      websocketWorker(h.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') await io.accept();
        return {};
      }),
    );
  }

  it('closes with 1009 when a frame is over maxFrameBytes', async () => {
    const h = await serve('memory', { limits: { maxFrameBytes: 1024 } });
    accepting(h);
    const ws = await openWebSocket(wsUrl(h.url));
    sockets.push(ws);
    const closed = closeOf(ws);
    ws.send(Buffer.alloc(2048, 'a'));
    expect((await closed).code).toBe(1009);
  });

  it.each(['memory', 'redis'] as const)('on the %s layer, 10,000 frames sent at once get 10,000 replies, in order, on an open connection', async (kind) => {
    const h = await serve(kind);
    keep(
      websocketWorker(h.workerLayer, async (io) => {
        if (io.event.type === 'websocket.connect') await io.accept();
        else if (io.event.type === 'websocket.receive') await io.text(`re ${io.event.text as string}`);
        return {};
      }),
    );
    const ws = await openWebSocket(wsUrl(h.url));
    sockets.push(ws);
    const replies: string[] = [];
    let closed: number | undefined;
    const all = new Promise<void>((resolve) => {
      ws.on('message', (data) => replies.push(data.toString()) === 10_000 && resolve());
      ws.on('close', (code) => resolve(void (closed = code)));
    });
    for (let i = 0; i < 10_000; i++) ws.send(String(i));
    await all;
    expect(replies).toEqual([...Array(10_000).keys()].map((i) => `re ${i}`));
    expect(closed).toBeUndefined();
    expect(h.logs.some((line) => /dropped/.test(String(line.msg)))).toBe(false);
  }, 120_000);

  it.each(['memory', 'redis'] as const)('on the %s layer, disconnect events that find the channel full still land once it drains', async (kind) => {
    const h = await serve(kind, {}, { capacity: 2 });
    const opener = keep(accepting(h));
    const clients = [];
    for (let i = 0; i < 10; i++) clients.push(await openWebSocket(wsUrl(h.url))); // one at a time: two connects fill the channel
    await opener.stop(); // nobody takes events for a while …
    for (const ws of clients) ws.close(1000, 'bye'); // … and ten disconnects meet a channel that holds two
    await waitUntil(async () => (await channelDepth(h, 'websocket')) === 2, 5000, 'a full websocket channel');
    const cleaner = keep(accepting(h));
    await waitUntil(() => cleaner.taken.filter((m) => m.type === 'websocket.disconnect').length === 10, 15_000, 'all ten disconnect events');
  });

  it('closes with 1007 when a text frame is not valid UTF-8', async () => {
    const h = await serve('memory');
    accepting(h);
    const ws = await openWebSocket(wsUrl(h.url));
    sockets.push(ws);
    const closed = closeOf(ws);
    ws.send(Buffer.from([0xff, 0xfe]), { binary: false });
    expect((await closed).code).toBe(1007);
  });

  it('by default takes handshakes from its own origin and from clients that send none, and refuses other sites with 403', async () => {
    const h = await serve('memory');
    const worker = accepting(h);
    const own = new URL(h.url).host; // 127.0.0.1:PORT, what the client sends as Host
    for (const origin of ['https://evil.example.com', `http://${own}.evil.example.com`, 'null', `http://localhost:${new URL(h.url).port}`]) {
      expect(await handshake(wsUrl(h.url), { origin }), origin).toMatchObject({ kind: 'refused', status: 403 });
    }
    expect(worker.taken).toHaveLength(0);
    for (const options of [{ origin: `http://${own}` }, { origin: `HTTPS://${own.toUpperCase()}` }, {}]) {
      const ws = await openWebSocket(wsUrl(h.url), options);
      sockets.push(ws);
    }
    expect(worker.taken.filter((m) => m.type === 'websocket.connect')).toHaveLength(3);
    expect(h.logs.some((line) => /allowedOrigins/.test(String(line.msg)))).toBe(false);
  });

  it('takes the origins allowedOrigins lists, whole or on any port, besides its own', async () => {
    const h = await serve('memory', { allowedOrigins: ['https://app.example.com', 'http://localhost:*'] });
    accepting(h);
    for (const origin of ['https://evil.example.com', 'https://app.example.com:8443', 'http://app.example.com', 'http://localhost:80x', 'http://localhost.evil.com']) {
      expect(await handshake(wsUrl(h.url), { origin }), origin).toMatchObject({ kind: 'refused', status: 403 });
    }
    for (const origin of ['https://app.example.com', 'http://localhost:5173', 'http://localhost', `http://${new URL(h.url).host}`]) {
      const ws = await openWebSocket(wsUrl(h.url), { origin });
      sockets.push(ws);
    }
  });

  it('allowedOrigins "*" takes any site, and the server warns about it when it starts', async () => {
    const h = await serve('memory', { allowedOrigins: ['*'] });
    accepting(h);
    sockets.push(await openWebSocket(wsUrl(h.url), { origin: 'https://anywhere.example' }));
    expect(h.logs.find((line) => line.level === 40 && /allowedOrigins "\*"/.test(String(line.msg)))).toBeDefined();
  });

  describe.each(['memory', 'redis'] as const)('on the %s layer', (kind) => {
    it('refuses a handshake with 503 when the websocket channel is full', async () => {
      const h = await serve(kind, { limits: { websocketHandshakeTimeoutMs: 10_000 } }, { capacity: 1 });
      await idleReceiver(h.workerLayer, 'websocket');
      let firstSettled = false;
      const first = handshake(wsUrl(h.url, '/first'));
      void first.finally(() => (firstSettled = true));
      await waitUntil(async () => (await channelDepth(h, 'websocket')) === 1, 5000, 'the first connect on the websocket channel');
      const second = await handshake(wsUrl(h.url, '/second'));
      expect(second).toMatchObject({ kind: 'refused', status: 503 });
      expect(firstSettled).toBe(false);
      await h.server.close(); // refuses the first handshake, still waiting (503)
      const firstOutcome = await first;
      expect(firstOutcome.kind).toBe('refused');
    });

    it('closes with 1011 when a worker never finishes an event within websocketEventTimeoutMs', async () => {
      const h = await serve(kind, { limits: { websocketEventTimeoutMs: 300 } });
      const worker = keep(
        websocketWorker(h.workerLayer, async (io) => {
          if (io.event.type === 'websocket.connect') {
            await io.accept();
            return {};
          }
          if (io.event.type === 'websocket.receive') return 'no-done';
          return {};
        }),
      );
      const ws = await openWebSocket(wsUrl(h.url));
      sockets.push(ws);
      const closed = closeOf(ws);
      ws.send('hello');
      expect((await closed).code).toBe(1011);
      // The consumer still hears that the connection ended.
      await waitUntil(() => worker.taken.some((m) => m.type === 'websocket.disconnect'), 5000, 'websocket.disconnect');
    });

    it('refuses the handshake with 504 when a worker never answers the connect within websocketHandshakeTimeoutMs', async () => {
      const h = await serve(kind, { limits: { websocketHandshakeTimeoutMs: 300 } });
      const worker = keep(websocketWorker(h.workerLayer, async () => 'no-done'));
      const result = await handshake(wsUrl(h.url));
      expect(result).toMatchObject({ kind: 'refused', status: 504 });
      expect(worker.taken.map((m) => m.type)).toEqual(['websocket.connect']);
      if (result.kind === 'refused') expect(result.body).toBe('no answer from the application in time\n');
    });
  });
});
