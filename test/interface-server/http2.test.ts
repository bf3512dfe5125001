import { createHash, randomBytes } from 'node:crypto';
import http2, { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders } from 'node:http2';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerOptionsInput } from '../../interface-server/index.js';
import { curl, deferred, h2Request, makeCert, pairsNamed, readH2, readResponse, text, type Message, type TestCert } from '../helpers/http-clients.js';
import { RedisServer } from '../helpers/redis-server.js';
import { httpWorker, type HttpIO, type ScriptedWorker } from '../helpers/scripted-worker.js';
import { startServer, type Harness } from '../helpers/server-harness.js';

let redis: RedisServer;
let cert: TestCert;
beforeAll(async () => {
  cert = makeCert();
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
  cert?.remove();
});

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A worker that answers every path: pages, a pushed stylesheet, echoes. */
async function site(io: HttpIO): Promise<void> {
  const path = io.request.path as string;
  if (path === '/pushed.css') {
    await io.start(200, [['content-type', 'text/css']]);
    await io.body('body { color: green }');
    return;
  }
  if (path === '/echo') {
    const body = await io.readBody();
    await io.start(200, [['content-type', 'application/json']]);
    await io.body(JSON.stringify({ length: body.length, sha: sha256(body) }));
    return;
  }
  await io.start(200, [
    ['content-type', 'text/plain'],
    ['x-path', path],
    ['set-cookie', 'a=1'],
    ['set-cookie', 'b=2'],
  ]);
  await io.body(`you asked for ${path} over ${io.request.http_version as string}`);
}

describe.each(['memory', 'redis'] as const)('HTTP/2 and HTTP/1.1 over TLS on the %s layer', (kind) => {
  let harness: Harness | undefined;
  const workers: ScriptedWorker[] = [];
  const sessions: ClientHttp2Session[] = [];

  afterEach(async () => {
    for (const session of sessions.splice(0)) session.destroy();
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await harness?.close();
    harness = undefined;
  });

  async function serve(script: (io: HttpIO) => Promise<void> = site, options: ServerOptionsInput = {}): Promise<Harness> {
    harness = await startServer(kind, { tls: { cert: cert.cert, key: cert.key }, ...options }, { redis });
    workers.push(httpWorker(harness.workerLayer, script));
    return harness;
  }

  function connect(url: string, settings: http2.Settings = {}): ClientHttp2Session {
    const session = http2.connect(url, { ca: cert.cert, servername: 'localhost', settings });
    session.on('error', () => {});
    sessions.push(session);
    return session;
  }

  const taken = (): Message[] => workers[0]!.taken as Message[];
  const portOf = (url: string): number => Number(new URL(url).port);

  it('h2 GET: the worker sees http_version 2, scheme https and the host from :authority', async () => {
    const { url } = await serve();
    expect(url.startsWith('https://')).toBe(true);
    const res = await h2Request(connect(url), { ':path': '/caf%C3%A9?q=1', 'x-custom': 'v' });
    expect(res.headers[':status']).toBe(200);
    expect(res.headers['x-path']).toBe('/café');
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.body.toString()).toBe('you asked for /café over 2');
    const msg = taken()[0]!;
    expect(msg.http_version).toBe('2');
    expect(msg.scheme).toBe('https');
    expect(msg.method).toBe('GET');
    expect(text(msg.raw_path)).toBe('/caf%C3%A9');
    expect(text(msg.query_string)).toBe('q=1');
    const headers = msg.headers as [string, string][];
    expect(headers.every(([name]) => !name.startsWith(':'))).toBe(true);
    expect(pairsNamed(msg, 'host')).toEqual([['host', `localhost:${portOf(url)}`]]);
    expect(pairsNamed(msg, 'x-custom')).toEqual([['x-custom', 'v']]);
    expect(msg.server).toEqual(['127.0.0.1', portOf(url)]);
    expect((msg.client as [string, number])[0]).toBe('127.0.0.1');
  });

  it('h2 POST: a 3 MiB body arrives complete and byte-exact', async () => {
    const { url } = await serve();
    const payload = randomBytes(3 * 1024 * 1024);
    const res = await h2Request(connect(url), { ':method': 'POST', ':path': '/echo' }, payload);
    expect(JSON.parse(res.body.toString())).toEqual({ length: payload.length, sha: sha256(payload) });
    expect(taken()[0]!.method).toBe('POST');
  });

  it('h2: a small POST body arrives whole in http.request with more_body false', async () => {
    const { url } = await serve();
    const res = await h2Request(connect(url), { ':method': 'POST', ':path': '/echo', 'content-length': '11' }, 'hello there');
    expect(JSON.parse(res.body.toString())).toEqual({ length: 11, sha: sha256(Buffer.from('hello there')) });
    const msg = taken()[0]!;
    expect(text(msg.body)).toBe('hello there');
    expect(msg.more_body).toBe(false);
  });

  it('several h2 streams on one session are answered independently', async () => {
    const { url } = await serve();
    const session = connect(url);
    const answers = await Promise.all(['/a', '/b', '/c'].map((path) => h2Request(session, { ':path': path })));
    expect(answers.map((a) => a.body.toString())).toEqual(['you asked for /a over 2', 'you asked for /b over 2', 'you asked for /c over 2']);
    expect(new Set(taken().map((m) => JSON.stringify(m.client))).size).toBe(1);
  });

  it('the same TLS port serves HTTP/1.1 by ALPN (https.request with http/1.1)', async () => {
    const { url } = await serve();
    const h2 = await h2Request(connect(url), { ':path': '/by-h2' });
    expect(h2.body.toString()).toBe('you asked for /by-h2 over 2');
    let alpn: string | false | null | undefined;
    const res = await new Promise<Awaited<ReturnType<typeof readResponse>>>((resolve, reject) => {
      const options = { ca: cert.cert, servername: 'localhost', ALPNProtocols: ['http/1.1'] };
      const req = https.request(`${url}/by-h1`, options as https.RequestOptions);
      req.once('response', (r) => {
        alpn = (r.socket as TLSSocket).alpnProtocol;
        readResponse(r).then(resolve, reject);
      });
      req.once('error', reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(res.res.httpVersion).toBe('1.1');
    expect(alpn).toBe('http/1.1');
    expect(res.body.toString()).toBe('you asked for /by-h1 over 1.1');
    const h1 = taken().find((m) => m.path === '/by-h1')!;
    expect(h1.http_version).toBe('1.1');
    expect(h1.scheme).toBe('https');
  });

  it('curl --http1.1 and curl --http2 both work on the TLS port', async () => {
    const { url } = await serve();
    const port = portOf(url);
    const base = ['-sS', '--cacert', cert.certPath, '--resolve', `localhost:${port}:127.0.0.1`, '-w', '|%{http_version}'];
    const one = await curl([...base, '--http1.1', `https://localhost:${port}/curl1`]);
    const two = await curl([...base, '--http2', `https://localhost:${port}/curl2`]);
    expect(one.stderr).toBe('');
    expect(one.stdout.toString()).toBe('you asked for /curl1 over 1.1|1.1');
    expect(two.stdout.toString()).toBe('you asked for /curl2 over 2|2');
  });

  it('h2: a client that resets its stream mid-response makes the worker receive http.disconnect', async () => {
    const disconnected = deferred<string>();
    const { url } = await serve(async (io) => {
      await io.pull(0);
      await io.start(200);
      await io.body('part one', true);
      for (;;) {
        const m = await io.next();
        if (m.type === 'http.disconnect') return disconnected.resolve(m.type);
      }
    });
    const stream = connect(url).request({ ':path': '/leave' });
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    expect(first.toString()).toBe('part one');
    stream.close(http2.constants.NGHTTP2_CANCEL);
    expect(await disconnected.promise).toBe('http.disconnect');
  });

  it('h2 streaming: the client gets the head, then the first event before the worker sends the rest', async () => {
    const headSeen = deferred();
    const firstRead = deferred();
    let sentSecond = false;
    const { url } = await serve(async (io) => {
      await io.start(200, [['content-type', 'text/event-stream']]);
      await headSeen.promise;
      await io.body('data: one\n\n', true);
      await firstRead.promise;
      sentSecond = true;
      await io.body('data: two\n\n');
    });
    const stream = connect(url).request({ ':path': '/events' });
    const chunks: Buffer[] = [];
    let wake: (() => void) | undefined;
    stream.on('data', (c: Buffer) => {
      chunks.push(c);
      wake?.();
    });
    const ended = new Promise((resolve) => stream.once('end', resolve));
    const head = await new Promise<IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
    expect(head['content-type']).toBe('text/event-stream');
    expect(chunks).toEqual([]);
    headSeen.resolve();
    await new Promise<void>((resolve) => (wake = resolve));
    expect(Buffer.concat(chunks).toString()).toBe('data: one\n\n');
    expect(sentSecond).toBe(false);
    firstRead.resolve();
    await ended;
    expect(Buffer.concat(chunks).toString()).toBe('data: one\n\ndata: two\n\n');
  });

  it('h2 response flow control: 300 chunks of 16 KiB all arrive in order, and the worker got credit', async () => {
    const count = 300;
    const size = 16 * 1024;
    const chunkOf = (i: number): Buffer => Buffer.alloc(size, i % 251);
    const credits: number[] = [];
    const { url } = await serve(async (io) => {
      const original = io.next.bind(io);
      io.next = async (signal) => {
        const m = await original(signal);
        if (m.type === 'http.response.credit') credits.push(m.chunks as number);
        return m;
      };
      await io.pull(0);
      await io.start(200);
      for (let i = 0; i < count; i++) await io.body(chunkOf(i), i < count - 1);
    });
    const stream = connect(url).request({ ':path': '/big' });
    const parts: Buffer[] = [];
    let n = 0;
    stream.on('data', (chunk: Buffer) => {
      parts.push(chunk);
      // A slow reader: pause now and then.
      if (++n % 8 === 0) {
        stream.pause();
        setTimeout(() => stream.resume(), 5);
      }
    });
    await new Promise<void>((resolve, reject) => {
      stream.once('end', resolve);
      stream.once('error', reject);
    });
    const all = Buffer.concat(parts);
    expect(all.length).toBe(count * size);
    for (let i = 0; i < count; i++) {
      if (!all.subarray(i * size, (i + 1) * size).equals(chunkOf(i))) throw new Error(`chunk ${i} arrived wrong or out of order`);
    }
    expect(credits.length).toBeGreaterThan(0);
    expect(credits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(count - 16);
  });

  it('h2 early hints: http.response.early_hints arrives as a 103 header block before the response', async () => {
    const { url } = await serve(async (io) => {
      await io.send({ type: 'http.response.early_hints', links: ['</style.css>; rel=preload; as=style'] });
      await io.start(200);
      await io.body('page');
    });
    const res = await h2Request(connect(url), { ':path': '/hinted' });
    expect(res.informational.map((h) => h[':status'])).toEqual([103]);
    expect(res.informational[0]!.link).toBe('</style.css>; rel=preload; as=style');
    expect(res.body.toString()).toBe('page');
    expect(Object.keys(taken()[0]!.extensions as object)).toContain('http.response.early_hints');
  });

  describe('server push', () => {
    const pusher = async (io: HttpIO): Promise<void> => {
      if (io.request.path === '/page') {
        await io.send({ type: 'http.response.push', path: '/pushed.css', headers: [['accept', 'text/css']] });
        await io.start(200, [['content-type', 'text/html']]);
        await io.body('<link rel=stylesheet href=/pushed.css>');
        return;
      }
      await site(io);
    };

    it('the request of an h2 client that allows push carries the http.response.push extension', async () => {
      const { url } = await serve();
      await h2Request(connect(url), { ':path': '/x' });
      const extensions = taken()[0]!.extensions as Record<string, unknown>;
      expect(Object.keys(extensions)).toEqual(expect.arrayContaining(['http.response.push', 'http.response.early_hints', 'http.response.window']));
    });

    it('http.response.push makes the server request the path from the workers and push it to the client', async () => {
      const { url } = await serve(pusher);
      const session = connect(url);
      const pushed = new Promise<{ path: string | undefined; status: number | undefined; type: string | undefined; body: string }>((resolve, reject) => {
        session.once('stream', (stream: ClientHttp2Stream, requestHeaders: IncomingHttpHeaders) => {
          let head: IncomingHttpHeaders = {};
          stream.once('push', (h) => (head = h));
          const parts: Buffer[] = [];
          stream.on('data', (c: Buffer) => parts.push(c));
          stream.once('error', reject);
          stream.once('end', () =>
            resolve({
              path: requestHeaders[':path'] as string | undefined,
              status: head[':status'] as number | undefined,
              type: head['content-type'] as string | undefined,
              body: Buffer.concat(parts).toString(),
            }),
          );
        });
      });
      const page = await h2Request(session, { ':path': '/page' });
      expect(page.body.toString()).toBe('<link rel=stylesheet href=/pushed.css>');
      expect(await pushed).toEqual({ path: '/pushed.css', status: 200, type: 'text/css', body: 'body { color: green }' });
      const asked = taken().find((m) => m.path === '/pushed.css')!;
      expect(asked.method).toBe('GET');
      expect(asked.http_version).toBe('2');
      expect(pairsNamed(asked, 'host', 'accept')).toEqual([
        ['host', `localhost:${portOf(url)}`],
        ['accept', 'text/css'],
      ]);
      expect(Object.keys(asked.extensions as object)).not.toContain('http.response.push');
    });

    it('a pushed path keeps its whole query string', async () => {
      const { url } = await serve(async (io) => {
        if (io.request.path === '/page') {
          await io.send({ type: 'http.response.push', path: '/pushed.css?v=1?x=2', headers: [] });
          await io.start(200);
          await io.body('page');
          return;
        }
        await site(io);
      });
      const session = connect(url);
      const pushed = new Promise<string>((resolve) => {
        session.once('stream', (stream: ClientHttp2Stream) => {
          stream.resume();
          stream.once('end', () => resolve('done'));
        });
      });
      await h2Request(session, { ':path': '/page' });
      await pushed;
      const asked = taken().find((m) => m.path === '/pushed.css')!;
      expect(text(asked.query_string)).toBe('v=1?x=2');
    });

    it('an h2 client with push disabled gets no push extension, and the push becomes a 103 preload hint', async () => {
      const { url } = await serve(pusher);
      const res = await h2Request(connect(url, { enablePush: false }), { ':path': '/page' });
      expect(Object.keys(taken()[0]!.extensions as object)).not.toContain('http.response.push');
      expect(res.informational.map((h) => h[':status'])).toEqual([103]);
      expect(res.informational[0]!.link).toBe('</pushed.css>; rel=preload');
      expect(res.body.toString()).toBe('<link rel=stylesheet href=/pushed.css>');
      expect(taken().map((m) => m.path)).toEqual(['/page']);
    });
  });
});

describe.each(['memory', 'redis'] as const)('h2c (prior knowledge) beside HTTP/1.1 on the %s layer', (kind) => {
  let harness: Harness | undefined;
  const workers: ScriptedWorker[] = [];
  const sessions: ClientHttp2Session[] = [];

  afterEach(async () => {
    for (const session of sessions.splice(0)) session.destroy();
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await harness?.close();
    harness = undefined;
  });

  async function serve(): Promise<Harness> {
    harness = await startServer(kind, {}, { redis });
    workers.push(httpWorker(harness.workerLayer, site));
    return harness;
  }

  function connect(url: string): ClientHttp2Session {
    const session = http2.connect(url);
    session.on('error', () => {});
    sessions.push(session);
    return session;
  }

  const taken = (): Message[] => workers[0]!.taken as Message[];

  it('h2c and HTTP/1.1 are both served on the same plain port', async () => {
    const { url } = await serve();
    expect(url.startsWith('http://')).toBe(true);
    const h2 = await h2Request(connect(url), { ':path': '/over-h2c' });
    expect(h2.headers[':status']).toBe(200);
    expect(h2.body.toString()).toBe('you asked for /over-h2c over 2');
    const h1 = await fetch(`${url}/over-h1`);
    expect(await h1.text()).toBe('you asked for /over-h1 over 1.1');
    const viaH2 = taken().find((m) => m.path === '/over-h2c')!;
    expect(viaH2.http_version).toBe('2');
    expect(viaH2.scheme).toBe('http');
    expect(Object.keys(viaH2.extensions as object)).toContain('http.response.push');
    expect(taken().find((m) => m.path === '/over-h1')!.http_version).toBe('1.1');
  });

  it('h2c POST: a 3 MiB body arrives complete and byte-exact', async () => {
    const { url } = await serve();
    const payload = randomBytes(3 * 1024 * 1024);
    const res = await h2Request(connect(url), { ':method': 'POST', ':path': '/echo' }, payload);
    expect(JSON.parse(res.body.toString())).toEqual({ length: payload.length, sha: sha256(payload) });
  });

  it('curl --http2-prior-knowledge and curl --http1.1 both work on the plain port', async () => {
    const { url } = await serve();
    const two = await curl(['-sS', '--http2-prior-knowledge', '-w', '|%{http_version}', `${url}/curl-h2c`]);
    const one = await curl(['-sS', '--http1.1', '-w', '|%{http_version}', `${url}/curl-h1`]);
    expect(two.stderr).toBe('');
    expect(two.stdout.toString()).toBe('you asked for /curl-h2c over 2|2');
    expect(one.stdout.toString()).toBe('you asked for /curl-h1 over 1.1|1.1');
  });
});
