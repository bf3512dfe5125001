import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ServerOptionsInput } from '../../interface-server/index.js';
import { deferred, pairsNamed, rawExchange, rawRequest, readResponse, text, waitFor, type Message } from '../helpers/http-clients.js';
import { RedisServer } from '../helpers/redis-server.js';
import { httpWorker, type HttpIO, type ScriptedWorker } from '../helpers/scripted-worker.js';
import { startServer, type Harness } from '../helpers/server-harness.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Expects no message on the exchange's worker channel for a short while; true if none came. */
async function nothingFor(io: HttpIO, ms: number): Promise<boolean> {
  try {
    await io.next(AbortSignal.timeout(ms));
    return false;
  } catch {
    return true;
  }
}

describe.each(['memory', 'redis'] as const)('HTTP/1.1 on the %s layer', (kind) => {
  let harness: Harness | undefined;
  const workers: ScriptedWorker[] = [];

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop()));
    await harness?.close();
    harness = undefined;
  });

  async function serve(script: (io: HttpIO) => Promise<void>, options: ServerOptionsInput = {}): Promise<Harness> {
    harness = await startServer(kind, options, { redis });
    workers.push(httpWorker(harness.workerLayer, script));
    return harness;
  }

  const request = (worker = 0): Message => workers[worker]!.taken[0] as Message;

  it('GET: the worker sees method, decoded path, raw path, query, headers, version, scheme and addresses; the client gets the response', async () => {
    const { url } = await serve(async (io) => {
      await io.start(200, [
        ['content-type', 'text/plain'],
        ['x-answer', '42'],
      ]);
      await io.body('hello from the worker');
    });
    const port = Number(new URL(url).port);

    const res = await fetch(`${url}/caf%C3%A9/a%20b?x=1&y=%20z`, { headers: { 'X-Custom-Thing': 'Value One', Accept: 'text/plain' } });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.get('x-answer')).toBe('42');
    expect(await res.text()).toBe('hello from the worker');

    const msg = request();
    expect(msg.type).toBe('http.request');
    expect(msg.method).toBe('GET');
    expect(msg.path).toBe('/café/a b');
    expect(msg.raw_path).toBeInstanceOf(Uint8Array);
    expect(text(msg.raw_path)).toBe('/caf%C3%A9/a%20b');
    expect(msg.query_string).toBeInstanceOf(Uint8Array);
    expect(text(msg.query_string)).toBe('x=1&y=%20z');
    expect(msg.http_version).toBe('1.1');
    expect(msg.scheme).toBe('http');
    expect(msg.root_path).toBe('');
    const headers = msg.headers as [string, string][];
    for (const [name] of headers) expect(name).toBe(name.toLowerCase());
    expect(headers).toContainEqual(['host', `127.0.0.1:${port}`]);
    expect(headers).toContainEqual(['x-custom-thing', 'Value One']);
    expect(headers).toContainEqual(['accept', 'text/plain']);
    const client = msg.client as [string, number];
    expect(client[0]).toBe('127.0.0.1');
    expect(Number.isInteger(client[1]) && client[1] > 0 && client[1] !== port).toBe(true);
    expect(msg.server).toEqual(['127.0.0.1', port]);
    expect(msg.more_body).toBe(false);
    expect((msg.body as Uint8Array).length).toBe(0);
    expect(typeof msg.reply_channel).toBe('string');
  });

  it('the client address is the real peer: its port is the client socket\'s local port', async () => {
    const { url } = await serve(async (io) => {
      await io.start(204);
      await io.body('');
    });
    const res = await rawRequest(`${url}/peer`);
    expect(res.status).toBe(204);
    expect(request().client).toEqual(['127.0.0.1', res.localPort]);
  });

  it('an absolute-form request target gives the path and query of the URL', async () => {
    const { url } = await serve(async (io) => {
      await io.start(200);
      await io.body('absolute');
    });
    const out = await rawExchange(Number(new URL(url).port), 'GET http://example.com/abs/p%20q?x=1 HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 200 /);
    expect(out).toMatch(/\r\n\r\n8\r\nabsolute\r\n0\r\n\r\n$/);
    expect(request().path).toBe('/abs/p q');
    expect(text(request().raw_path)).toBe('/abs/p%20q');
    expect(text(request().query_string)).toBe('x=1');
  });

  it('a path with bad percent-encoding is answered 400 by the server without reaching a worker', async () => {
    const { url } = await serve(async (io) => {
      await io.start(200);
      await io.body('should not happen');
    });
    const out = await rawExchange(Number(new URL(url).port), 'GET /bad%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(out).toMatch(/^HTTP\/1\.1 400 /);
    expect(out).toContain('bad request target');
    expect(workers[0]!.taken).toEqual([]);
  });

  it('HTTP/1.0: http_version 1.0, no early_hints extension, and hints are not sent to the client', async () => {
    const { url } = await serve(async (io) => {
      await io.send({ type: 'http.response.early_hints', links: ['</a.css>; rel=preload'] });
      await io.start(200, [['content-type', 'text/plain']]);
      await io.body('old client');
    });
    const out = await rawExchange(Number(new URL(url).port), 'GET /old HTTP/1.0\r\nHost: x\r\n\r\n');
    expect(out).not.toMatch(/HTTP\/1\.[01] 103/);
    expect(out).toMatch(/^HTTP\/1\.1 200 /);
    expect(out).toMatch(/\r\n\r\nold client$/);
    expect(request().http_version).toBe('1.0');
    expect(Object.keys(request().extensions as object)).toEqual(['http.response.window']);
  });

  it('duplicate request headers arrive in order as separate lower-case pairs', async () => {
    const { url } = await serve(async (io) => {
      await io.start(200);
      await io.body('ok');
    });
    const res = await rawRequest(`${url}/dup`, {
      headers: ['Host', 'localhost', 'X-Dup', 'one', 'X-Between', 'middle', 'x-dup', 'two', 'X-DUP', 'three'],
    });
    expect(res.status).toBe(200);
    expect(pairsNamed(request(), 'x-dup', 'x-between')).toEqual([
      ['x-dup', 'one'],
      ['x-between', 'middle'],
      ['x-dup', 'two'],
      ['x-dup', 'three'],
    ]);
  });

  it('duplicate response headers (two set-cookie, two x-multi) reach the client in order', async () => {
    const { url } = await serve(async (io) => {
      await io.start(200, [
        ['set-cookie', 'a=1; Path=/'],
        ['x-multi', 'first'],
        ['set-cookie', 'b=2; HttpOnly'],
        ['x-multi', 'second'],
      ]);
      await io.body('cookies');
    });
    const res = await rawRequest(`${url}/cookies`);
    const pairs: [string, string][] = [];
    for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
    expect(pairs.filter(([n]) => n === 'set-cookie')).toEqual([
      ['set-cookie', 'a=1; Path=/'],
      ['set-cookie', 'b=2; HttpOnly'],
    ]);
    expect(pairs.filter(([n]) => n === 'x-multi').map(([, v]) => v)).toEqual(['first', 'second']);

    const viaFetch = await fetch(`${url}/cookies`);
    expect(viaFetch.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(await viaFetch.text()).toBe('cookies');
  });

  it('a small POST body arrives whole in http.request with more_body false', async () => {
    const { url } = await serve(async (io) => {
      const body = await io.readBody();
      await io.start(200);
      await io.body(`got ${body.length}`);
    });
    const res = await fetch(`${url}/form`, { method: 'POST', body: 'name=switchyard&kind=test', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(await res.text()).toBe('got 25');
    const msg = request();
    expect(msg.method).toBe('POST');
    expect(text(msg.body)).toBe('name=switchyard&kind=test');
    expect(msg.more_body).toBe(false);
    expect(pairsNamed(msg, 'content-length')).toEqual([['content-length', '25']]);
  });

  it('a 3 MiB body arrives complete and byte-exact through http.request.pull', async () => {
    const payload = randomBytes(3 * 1024 * 1024);
    let chunks = 0;
    const { url } = await serve(async (io) => {
      const original = io.next.bind(io);
      io.next = async (signal) => {
        const m = await original(signal);
        if (m.type === 'http.request.body') chunks++;
        return m;
      };
      const body = await io.readBody();
      await io.start(200, [['content-type', 'application/json']]);
      await io.body(JSON.stringify({ length: body.length, sha: sha256(body) }));
    });
    const res = await fetch(`${url}/upload`, { method: 'POST', body: payload });
    expect(await res.json()).toEqual({ length: payload.length, sha: sha256(payload) });
    expect(request().more_body).toBe(true);
    expect(chunks).toBeGreaterThan(1);
  });

  it('a chunked body (no Content-Length) written in pieces arrives complete', async () => {
    const pieces = ['first piece|', 'second piece|', 'third piece|', 'fourth and last'];
    const { url } = await serve(async (io) => {
      const body = await io.readBody();
      await io.start(200);
      await io.body(body);
    });
    const req = http.request(`${url}/chunked`, { method: 'POST', headers: { 'content-type': 'text/plain' } });
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    req.write(pieces[0]);
    // The next pieces go out only once the worker has the request: they really come later.
    await waitFor(() => workers[0]!.taken.length === 1, 'the http.request');
    for (const piece of pieces.slice(1)) {
      await sleep(20);
      req.write(piece);
    }
    req.end();
    const res = await readResponse(await response);
    expect(res.body.toString()).toBe(pieces.join(''));
    const msg = request();
    expect(msg.more_body).toBe(true);
    expect(pairsNamed(msg, 'transfer-encoding', 'content-length')).toEqual([['transfer-encoding', 'chunked']]);
  });

  it('request flow control: each pull of one chunk brings exactly one http.request.body, and nothing unpulled', async () => {
    const payload = randomBytes(1024 * 1024);
    const { url } = await serve(
      async (io) => {
        const parts = [Buffer.from(io.request.body as Uint8Array)];
        let pulls = 0;
        let bodies = 0;
        let extra = 0;
        let more = io.request.more_body === true;
        while (more) {
          await io.pull(1);
          pulls++;
          const m = await io.next();
          if (m.type !== 'http.request.body') throw new Error(`unexpected ${m.type}`);
          bodies++;
          parts.push(Buffer.from(m.body as Uint8Array));
          more = m.more_body === true;
          // Nothing else may come until the next pull.
          if (!(await nothingFor(io, 40))) extra++;
        }
        const body = Buffer.concat(parts);
        await io.start(200, [['content-type', 'application/json']]);
        await io.body(JSON.stringify({ pulls, bodies, extra, sha: sha256(body), length: body.length }));
      },
      { limits: { bodyChunkBytes: 4096 } },
    );
    const res = await fetch(`${url}/flow`, { method: 'POST', body: payload });
    const seen = (await res.json()) as { pulls: number; bodies: number; extra: number; sha: string; length: number };
    expect(seen.length).toBe(payload.length);
    expect(seen.sha).toBe(sha256(payload));
    expect(seen.extra).toBe(0);
    expect(seen.bodies).toBe(seen.pulls);
    expect(seen.pulls).toBeGreaterThan(1);
  });

  it('request flow control: while the worker pulls nothing, the server stops reading the upload', async () => {
    const payload = randomBytes(9 * 1024 * 1024);
    const release = deferred();
    const { url } = await serve(async (io) => {
      await release.promise;
      const body = await io.readBody();
      await io.start(200);
      await io.body(sha256(body));
    });
    const req = http.request(`${url}/stall`, { method: 'POST', headers: { 'content-length': String(payload.length) } });
    let flushed = false;
    req.once('finish', () => (flushed = true));
    const response = new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    req.end(payload);
    await waitFor(() => workers[0]!.taken.length === 1, 'the http.request');
    // Wait until the upload stops moving (bounded), then it must be stuck short of the end.
    let last = -1;
    let stable = 0;
    for (let i = 0; i < 200 && stable < 10; i++) {
      await sleep(50);
      const left = req.socket?.writableLength ?? 0;
      stable = left === last ? stable + 1 : 0;
      last = left;
    }
    expect(flushed).toBe(false);
    expect(req.socket!.writableLength).toBeGreaterThan(0);
    release.resolve();
    const res = await readResponse(await response);
    expect(res.body.toString()).toBe(sha256(payload));
    expect(flushed).toBe(true);
  });

  it('streaming: the client reads the first event before the worker sends the rest', async () => {
    const readFirst = deferred();
    let sentSecond = false;
    const { url } = await serve(async (io) => {
      await io.start(200, [
        ['content-type', 'text/event-stream'],
        ['cache-control', 'no-cache'],
      ]);
      await io.body('data: one\n\n', true);
      await readFirst.promise;
      sentSecond = true;
      await io.body('data: two\n\n', true);
      await io.body('');
    });
    const res = await fetch(`${url}/events`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('data: one\n\n');
    expect(sentSecond).toBe(false);
    readFirst.resolve();
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += Buffer.from(value).toString();
    }
    expect(rest).toBe('data: two\n\n');
  });

  it('streaming: response headers reach the client before any body chunk is sent', async () => {
    const gotHead = deferred();
    const { url } = await serve(async (io) => {
      await io.start(200, [['content-type', 'text/event-stream']]);
      await gotHead.promise;
      await io.body('data: late\n\n');
    });
    const res = await fetch(`${url}/head-first`);
    expect(res.status).toBe(200);
    gotHead.resolve();
    expect(await res.text()).toBe('data: late\n\n');
  });

  it('response flow control: a slow client stalls the worker, then every byte arrives in order', async () => {
    const count = 300;
    const size = 64 * 1024;
    const chunkOf = (i: number): Buffer => Buffer.alloc(size, i % 251);
    let sent = 0;
    const credits: number[] = [];
    const { url } = await serve(async (io) => {
      const original = io.next.bind(io);
      io.next = async (signal) => {
        const m = await original(signal);
        if (m.type === 'http.response.credit') credits.push(m.chunks as number);
        return m;
      };
      await io.pull(0);
      await io.start(200, [['content-type', 'application/octet-stream']]);
      for (let i = 0; i < count; i++) {
        await io.body(chunkOf(i), i < count - 1);
        sent = i + 1;
      }
    });
    const req = http.get(`${url}/big`);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    res.pause();
    // The client reads nothing: the worker must stop once the socket and the window are full.
    let last = -1;
    let stable = 0;
    for (let i = 0; i < 200 && stable < 10; i++) {
      await sleep(50);
      stable = sent === last ? stable + 1 : 0;
      last = sent;
    }
    expect(sent).toBeLessThan(count);
    const received: Buffer[] = [];
    res.on('data', (chunk: Buffer) => received.push(chunk));
    // Read slowly: pause between bursts.
    const slow = setInterval(() => (res.isPaused() ? res.resume() : res.pause()), 5);
    await new Promise<void>((resolve, reject) => {
      res.once('end', resolve);
      res.once('error', reject);
    });
    clearInterval(slow);
    const all = Buffer.concat(received);
    expect(all.length).toBe(count * size);
    for (let i = 0; i < count; i++) {
      const piece = all.subarray(i * size, (i + 1) * size);
      if (!piece.equals(chunkOf(i))) throw new Error(`chunk ${i} arrived wrong or out of order`);
    }
    expect(sent).toBe(count);
    expect(credits.length).toBeGreaterThan(0);
    expect(credits.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(count - 16);
  });

  it('a client that disconnects mid-response makes the worker receive http.disconnect', async () => {
    const disconnected = deferred<string>();
    const { url } = await serve(async (io) => {
      await io.pull(0);
      await io.start(200, [['content-type', 'text/plain']]);
      await io.body('part one', true);
      for (;;) {
        const m = await io.next();
        if (m.type === 'http.disconnect') return disconnected.resolve(m.type);
      }
    });
    const abort = new AbortController();
    const res = await fetch(`${url}/leave`, { signal: abort.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('part one');
    abort.abort();
    expect(await disconnected.promise).toBe('http.disconnect');
  });

  it('a client that disconnects before the response starts makes the worker receive http.disconnect', async () => {
    const disconnected = deferred<string>();
    const { url } = await serve(async (io) => {
      await io.pull(0);
      // A hint after the pull: when the client sees it, the server has taken the pull.
      await io.send({ type: 'http.response.early_hints', links: ['</waiting.css>; rel=preload'] });
      for (;;) {
        const m = await io.next();
        if (m.type === 'http.disconnect') return disconnected.resolve(m.type);
      }
    });
    const req = http.get(`${url}/long-poll`);
    req.on('error', () => {});
    await new Promise((resolve) => req.once('information', resolve));
    req.destroy();
    expect(await disconnected.promise).toBe('http.disconnect');
  });

  it('a client that disconnects mid-upload makes the worker reading the body receive http.disconnect', async () => {
    const outcome = deferred<string>();
    let bodies = 0;
    const { url } = await serve(async (io) => {
      const original = io.next.bind(io);
      io.next = async (signal) => {
        const m = await original(signal);
        if (m.type === 'http.request.body') bodies++;
        return m;
      };
      try {
        await io.readBody();
        outcome.resolve('read the whole body');
      } catch (error) {
        outcome.resolve((error as Error).message);
      }
    });
    const req = http.request(`${url}/upload`, { method: 'POST', headers: { 'content-length': String(1024 * 1024) } });
    req.on('error', () => {});
    req.write(Buffer.alloc(64 * 1024, 7));
    await waitFor(() => workers[0]!.taken.length === 1, 'the http.request');
    req.write(Buffer.alloc(16 * 1024, 8));
    await waitFor(() => bodies > 0, 'a pulled body chunk');
    req.destroy();
    expect(await outcome.promise).toBe('client went away');
  });

  it('keep-alive: a response sent without reading a large request body does not stall the next request', async () => {
    const { url } = await serve(async (io) => {
      await io.start(200);
      await io.body(`answered ${io.request.path as string} without reading the body`);
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const body = Buffer.alloc(1024 * 1024, 1);
      const one = await rawRequest(`${url}/one`, { method: 'POST', body, agent, headers: { 'content-length': String(body.length) } });
      expect(one.body.toString()).toBe('answered /one without reading the body');
      // The agent sends the next request once the first upload is done (or on a new
      // connection if the server closed this one). Bounded, so a stall fails clearly.
      const two = await Promise.race([
        rawRequest(`${url}/two`, { agent }),
        sleep(3000).then(() => {
          throw new Error('the next request on the connection was never answered');
        }),
      ]);
      expect(two.body.toString()).toBe('answered /two without reading the body');
    } finally {
      agent.destroy();
    }
  });

  it('keep-alive: two requests on one connection are both answered on the same socket', async () => {
    const { url } = await serve(async (io) => {
      await io.start(200);
      await io.body(`answer to ${io.request.path as string}`);
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const one = await rawRequest(`${url}/one`, { agent });
      const two = await rawRequest(`${url}/two`, { agent });
      expect(one.body.toString()).toBe('answer to /one');
      expect(two.body.toString()).toBe('answer to /two');
      expect(one.reusedSocket).toBe(false);
      expect(two.reusedSocket).toBe(true);
      const [first, second] = workers[0]!.taken as Message[];
      expect(first!.client).toEqual(['127.0.0.1', one.localPort]);
      expect(second!.client).toEqual(first!.client);
    } finally {
      agent.destroy();
    }
  });

  it('early hints: http.response.early_hints becomes a 103 with the Link header before the final response', async () => {
    const { url } = await serve(async (io) => {
      await io.send({ type: 'http.response.early_hints', links: ['</style.css>; rel=preload; as=style', '</app.js>; rel=preload; as=script'] });
      await io.start(200, [['content-type', 'text/html']]);
      await io.body('<html></html>');
    });
    const informational: http.InformationEvent[] = [];
    const res = await rawRequest(`${url}/page`, { onInformation: (info) => informational.push(info) });
    expect(informational.map((i) => i.statusCode)).toEqual([103]);
    const link = informational[0]!.headers.link;
    expect(link).toContain('</style.css>; rel=preload; as=style');
    expect(link).toContain('</app.js>; rel=preload; as=script');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('<html></html>');
    const extensions = request().extensions as Record<string, unknown>;
    expect(Object.keys(extensions)).toContain('http.response.early_hints');
    expect(extensions['http.response.window']).toEqual({ chunks: 16 });
    expect(Object.keys(extensions)).not.toContain('http.response.push');
  });

  it('a whole http.response: one message gives the client status, headers and body; after early hints the 103 still comes first; HEAD gets no body', async () => {
    const { url } = await serve(async (io) => {
      if (io.request.path === '/hinted') await io.send({ type: 'http.response.early_hints', links: ['</app.js>; rel=preload; as=script'] });
      await io.send({ type: 'http.response', status: 201, headers: [['content-type', 'text/plain'], ['content-length', '5'], ['x-whole', 'yes']], body: Buffer.from('whole') });
    });
    const res = await rawRequest(`${url}/plain`);
    expect(res.status).toBe(201);
    expect(res.headers['x-whole']).toBe('yes');
    expect(res.headers['content-length']).toBe('5');
    expect(res.body.toString()).toBe('whole');
    const informational: http.InformationEvent[] = [];
    const hinted = await rawRequest(`${url}/hinted`, { onInformation: (info) => informational.push(info) });
    expect(informational.map((i) => i.statusCode)).toEqual([103]);
    expect(hinted.body.toString()).toBe('whole');
    const head = await rawRequest(`${url}/plain`, { method: 'HEAD' });
    expect(head.status).toBe(201);
    expect(head.headers['content-length']).toBe('5');
    expect(head.body.length).toBe(0);
  });

  it('push on HTTP/1.1 becomes a 103 early hint with a preload link', async () => {
    const { url } = await serve(async (io) => {
      await io.send({ type: 'http.response.push', path: '/pushed.css', headers: [] });
      await io.start(200, [['content-type', 'text/html']]);
      await io.body('<html>page</html>');
    });
    const informational: http.InformationEvent[] = [];
    const res = await rawRequest(`${url}/page`, { onInformation: (info) => informational.push(info) });
    expect(informational.map((i) => i.statusCode)).toEqual([103]);
    expect(informational[0]!.headers.link).toBe('</pushed.css>; rel=preload');
    expect(res.body.toString()).toBe('<html>page</html>');
    // Nothing was asked of the workers for the pushed path.
    expect((workers[0]!.taken as Message[]).map((m) => m.path)).toEqual(['/page']);
  });

  it('routes: a path under a route prefix goes to that route\'s channel, others to http.request', async () => {
    harness = await startServer(kind, { routes: [{ prefix: '/api', http: 'api.http' }] }, { redis });
    const api = httpWorker(harness.workerLayer, async (io) => {
      await io.start(200);
      await io.body(`api saw ${io.request.path as string}`);
    }, 'api.http');
    const main = httpWorker(harness.workerLayer, async (io) => {
      await io.start(200);
      await io.body(`main saw ${io.request.path as string}`);
    });
    workers.push(api, main);
    expect(await (await fetch(`${harness.url}/api/x`)).text()).toBe('api saw /api/x');
    expect(await (await fetch(`${harness.url}/other`)).text()).toBe('main saw /other');
    expect((api.taken as Message[]).map((m) => m.path)).toEqual(['/api/x']);
    expect((main.taken as Message[]).map((m) => m.path)).toEqual(['/other']);
  });

  describe('trusted proxies', () => {
    const echo = async (io: HttpIO): Promise<void> => {
      await io.start(200);
      await io.body('ok');
    };

    it('X-Forwarded-For and X-Forwarded-Proto from a trusted proxy set client and scheme', async () => {
      const { url } = await serve(echo, { trustedProxies: ['127.0.0.1'] });
      await rawRequest(`${url}/`, { headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' } });
      expect(request().client).toEqual(['203.0.113.7', 0]);
      expect(request().scheme).toBe('https');
    });

    it('Forwarded (RFC 7239) from a trusted proxy sets client and scheme', async () => {
      const { url } = await serve(echo, { trustedProxies: ['127.0.0.1'] });
      await rawRequest(`${url}/`, { headers: { Forwarded: 'for=198.51.100.1;proto=https' } });
      expect(request().client).toEqual(['198.51.100.1', 0]);
      expect(request().scheme).toBe('https');
    });

    it('without trustedProxies the forwarding headers are ignored', async () => {
      const { url } = await serve(echo);
      const res = await rawRequest(`${url}/`, {
        headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https', Forwarded: 'for=198.51.100.1;proto=https' },
      });
      expect(request().client).toEqual(['127.0.0.1', res.localPort]);
      expect(request().scheme).toBe('http');
    });

    it('the hop a trusted proxy appends as a second X-Forwarded-For line wins over a forged first line', async () => {
      // A client forges "X-Forwarded-For: 6.6.6.6"; the trusted proxy appends its own line
      // with the real client address. Read right to left, the client is 203.0.113.7.
      const { url } = await serve(echo, { trustedProxies: ['127.0.0.1'] });
      await rawRequest(`${url}/`, { headers: ['Host', 'localhost', 'X-Forwarded-For', '6.6.6.6', 'X-Forwarded-For', '203.0.113.7'] });
      expect(request().client).toEqual(['203.0.113.7', 0]);
    });

    it('the hop a trusted proxy appends as a second Forwarded line wins over a forged first line', async () => {
      const { url } = await serve(echo, { trustedProxies: ['127.0.0.1'] });
      await rawRequest(`${url}/`, { headers: ['Host', 'localhost', 'Forwarded', 'for=6.6.6.6;proto=https', 'Forwarded', 'for=198.51.100.1;proto=http'] });
      expect(request().client).toEqual(['198.51.100.1', 0]);
      expect(request().scheme).toBe('http');
    });
  });

  it('HEAD: the worker sees method HEAD; the client gets the headers and no body', async () => {
    const { url } = await serve(async (io) => {
      await io.start(200, [
        ['content-type', 'text/plain'],
        ['content-length', '11'],
        ['x-head', 'yes'],
      ]);
      await io.body('hello world');
    });
    const res = await rawRequest(`${url}/thing`, { method: 'HEAD' });
    expect(request().method).toBe('HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['x-head']).toBe('yes');
    expect(res.headers['content-length']).toBe('11');
    expect(res.body.length).toBe(0);
    const viaFetch = await fetch(`${url}/thing`, { method: 'HEAD' });
    expect(viaFetch.status).toBe(200);
    expect(await viaFetch.text()).toBe('');
  });
});
