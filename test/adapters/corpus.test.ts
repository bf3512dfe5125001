/**
 * Differential corpus: each request goes to a framework app served directly by node:http and to
 * the very same app object through switchyard (dev, and serve + worker on Redis); status,
 * headers (names case-insensitively, each name's values in order; hop-by-hop headers and Date
 * left out) and body must be the same. Each case also checks the direct answer is the one the
 * case is about, so two equally broken answers cannot pass.
 */
import { afterAll, beforeAll, describe, it, vi, type ExpectStatic } from 'vitest';
import {
  closeClient,
  comparable,
  FRAMEWORKS,
  headerValues,
  send,
  startTargets,
  TOPOLOGIES,
  type Framework,
  type Incoming,
  type Outgoing,
  type Targets,
} from './harness.js';

interface Case {
  name: string;
  /** Only these frameworks have the route (default: all). */
  only?: Framework[];
  /** The request, given the framework's prefix and a way to ask the direct server first. */
  request: (prefix: string, direct: (out: Outgoing) => Promise<Incoming>) => Outgoing | Promise<Outgoing>;
  /** What the direct answer must show for the comparison to mean something. */
  check: (res: Incoming, expect: ExpectStatic) => void;
}

const json = { 'content-type': 'application/json' };
const EXPRESS: Framework[] = ['express5', 'express4'];
const NODE_APPS: Framework[] = ['express5', 'express4', 'koa'];
const status = (code: number) => (res: Incoming, expect: ExpectStatic) => expect(res.status).toBe(code);

const CASES: Case[] = [
  {
    name: 'GET with path params, a repeated query parameter and request headers the app echoes',
    request: (p) => ({
      path: `${p}/inspect/a%20b?x=1&x=2&y=z%20w&empty=&utf=%C3%BC`,
      headers: { accept: 'application/json', 'x-custom': 'custom value', 'x-dup': ['1', '2'], 'x-latin1': 'café' },
    }),
    check: (res, expect) => {
      expect(res.status).toBe(200);
      expect(res.body.toString()).toContain('a b');
      expect(res.body.toString()).toContain('custom value');
    },
  },
  {
    name: 'DELETE without a body',
    request: (p) => ({ method: 'DELETE', path: `${p}/inspect/gone` }),
    check: (res, expect) => expect(res.body.toString()).toContain('DELETE'),
  },
  {
    name: 'POST a JSON body',
    request: (p) => ({ method: 'POST', path: `${p}/json`, headers: json, body: JSON.stringify({ hello: 'world', n: [1, 2, 3], nested: { ü: true } }) }),
    check: (res, expect) => {
      expect(res.status).toBe(201);
      expect(JSON.parse(res.body.toString())).toEqual({ received: { hello: 'world', n: [1, 2, 3], nested: { ü: true } } });
    },
  },
  {
    name: 'POST JSON with Expect: 100-continue',
    request: (p) => ({ method: 'POST', path: `${p}/json`, headers: { ...json, expect: '100-continue' }, body: JSON.stringify({ waited: false }) }),
    check: (res, expect) => expect(res.status).toBe(201),
  },
  {
    name: 'POST malformed JSON: the framework answers 400',
    request: (p) => ({ method: 'POST', path: `${p}/json`, headers: json, body: '{"unfinished": ' }),
    check: status(400),
  },
  {
    name: 'POST an urlencoded form',
    request: (p) => ({
      method: 'POST',
      path: `${p}/form`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=two+words&c=%C3%A9t%C3%A9&a=3',
    }),
    check: (res, expect) => {
      expect(res.status).toBe(200);
      expect(res.body.toString()).toContain('two words');
      expect(res.body.toString()).toContain('été');
    },
  },
  {
    name: 'DELETE with a body (Content-Length) echoed',
    request: (p) => ({ method: 'DELETE', path: `${p}/echo`, headers: { 'content-type': 'text/plain' }, body: 'delete this one', timeoutMs: 4_000 }),
    check: (res, expect) => expect(res.body.toString()).toBe('delete this one'),
  },
  {
    name: 'DELETE with a chunked body (no Content-Length) echoed',
    request: (p) => ({
      method: 'DELETE',
      path: `${p}/echo`,
      headers: { 'content-type': 'text/plain' },
      chunks: [Buffer.from('chunk one, '), Buffer.from('chunk two')],
      timeoutMs: 4_000,
    }),
    check: (res, expect) => {
      expect(res.body.toString()).toBe('chunk one, chunk two');
      expect(headerValues(res, 'x-request-te')).toEqual(['chunked']);
    },
  },
  {
    name: 'GET with a JSON body (search-style API) is read by the app',
    only: NODE_APPS,
    request: (p) => ({ path: `${p}/json-get`, headers: json, body: '{"q":"find me"}', timeoutMs: 4_000 }),
    check: (res, expect) => expect(JSON.parse(res.body.toString())).toEqual({ received: { q: 'find me' } }),
  },
  {
    name: 'Cookie header read by the app; three Set-Cookie headers in order',
    request: (p) => ({ path: `${p}/cookies`, headers: { cookie: 'session=abc123; theme=dark' } }),
    check: (res, expect) => {
      expect(headerValues(res, 'set-cookie')).toHaveLength(3);
      expect(headerValues(res, 'set-cookie')[0]).toMatch(/^a=1/);
      expect(res.body.toString()).toContain('abc123');
    },
  },
  {
    name: 'two Cookie header lines (as HTTP/2 clients send them)',
    request: (p) => ({ path: `${p}/cookies`, headers: { cookie: ['session=abc123', 'theme=dark'] } }),
    check: (res, expect) => expect(res.body.toString()).toContain('abc123'),
  },
  {
    name: '302 redirect with Location (not followed)',
    request: (p) => ({ path: `${p}/redirect?to=%2Felsewhere%3Fx%3D1` }),
    check: (res, expect) => {
      expect(res.status).toBe(302);
      expect(headerValues(res, 'location')).toEqual(['/elsewhere?x=1']);
    },
  },
  {
    name: '301 redirect with Location (not followed)',
    request: (p) => ({ path: `${p}/moved`, headers: { accept: 'text/html' } }),
    check: (res, expect) => {
      expect(res.status).toBe(301);
      expect(headerValues(res, 'location')[0]).toMatch(/\/inspect\/moved$/);
    },
  },
  {
    name: '204 No Content has no body',
    request: (p) => ({ path: `${p}/empty` }),
    check: (res, expect) => {
      expect(res.status).toBe(204);
      expect(res.body.length).toBe(0);
    },
  },
  {
    name: '304 on a matching If-None-Match',
    request: (p) => ({ path: `${p}/conditional`, headers: { 'if-none-match': '"v1"' } }),
    check: (res, expect) => {
      expect(res.status).toBe(304);
      expect(res.body.length).toBe(0);
    },
  },
  {
    name: '200 on a stale If-None-Match',
    request: (p) => ({ path: `${p}/conditional`, headers: { 'if-none-match': '"v0"' } }),
    check: (res, expect) => expect(res.body.toString()).toBe('conditional body'),
  },
  {
    name: 'GET a text body',
    request: (p) => ({ path: `${p}/text` }),
    check: (res, expect) => expect(res.body.toString()).toBe('plain text body'),
  },
  {
    name: 'HEAD: the GET headers, no body',
    request: (p) => ({ method: 'HEAD', path: `${p}/text` }),
    check: (res, expect) => {
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(0);
    },
  },
  {
    name: 'repeated response headers (x-dup, set-cookie) keep their order',
    request: (p) => ({ path: `${p}/headers` }),
    check: (res, expect) => {
      expect(headerValues(res, 'set-cookie')).toEqual(['first=1; Path=/', 'second=2; Path=/']);
      expect(headerValues(res, 'x-dup').join(', ')).toBe('one, two');
    },
  },
  {
    name: 'a Latin-1 response header value (café) arrives as the same bytes',
    request: (p) => ({ path: `${p}/latin1` }),
    check: (res, expect) => expect(headerValues(res, 'x-latin1')).toEqual(['café']),
  },
  {
    name: "unknown route: the framework's own 404",
    request: (p) => ({ path: `${p}/no/such/route` }),
    check: status(404),
  },
  {
    name: "a thrown error: the framework's own 500 (Express's error page)",
    request: (p) => ({ path: `${p}/boom`, headers: { accept: 'text/html' } }),
    check: status(500),
  },
  {
    name: "an asynchronous error: the framework's own 500",
    request: (p) => ({ path: `${p}/async-boom`, headers: { accept: 'text/html' } }),
    check: status(500),
  },
  {
    name: 'OPTIONS on a POST-only route',
    request: (p) => ({ method: 'OPTIONS', path: `${p}/json` }),
    check: (res, expect) => expect([200, 204, 404]).toContain(res.status),
  },
  {
    name: 'a 3 MiB response body',
    request: (p) => ({ path: `${p}/big?size=${3 * 1024 * 1024}` }),
    check: (res, expect) => expect(res.body.length).toBe(3 * 1024 * 1024),
  },
  {
    name: 'a 1 MiB upload to a route that never reads it',
    request: (p) => ({ method: 'POST', path: `${p}/ignore`, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(1024 * 1024, 7) }),
    check: (res, expect) => expect(res.body.toString()).toBe('ignored'),
  },

  // express.static over a temporary folder
  {
    name: 'static: a file with ETag, Last-Modified, Content-Type',
    only: EXPRESS,
    request: (p) => ({ path: `${p}/static/hello.txt` }),
    check: (res, expect) => {
      expect(res.body.toString()).toBe('hello from a static file\n');
      expect(headerValues(res, 'etag')).toHaveLength(1);
      expect(headerValues(res, 'last-modified')).toEqual(['Tue, 02 Jan 2024 03:04:05 GMT']);
    },
  },
  {
    name: 'static: HEAD',
    only: EXPRESS,
    request: (p) => ({ method: 'HEAD', path: `${p}/static/data.bin` }),
    check: (res, expect) => {
      expect(headerValues(res, 'content-length')).toEqual(['200000']);
      expect(res.body.length).toBe(0);
    },
  },
  {
    name: 'static: 304 on If-None-Match',
    only: EXPRESS,
    request: async (p, direct) => {
      const [etag] = headerValues(await direct({ path: `${p}/static/hello.txt` }), 'etag');
      return { path: `${p}/static/hello.txt`, headers: { 'if-none-match': etag ?? 'none' } };
    },
    check: status(304),
  },
  {
    name: 'static: 304 on If-Modified-Since',
    only: EXPRESS,
    request: (p) => ({ path: `${p}/static/hello.txt`, headers: { 'if-modified-since': 'Tue, 02 Jan 2024 03:04:05 GMT' } }),
    check: status(304),
  },
  {
    name: 'static: Range bytes=10-99 is a 206',
    only: EXPRESS,
    request: (p) => ({ path: `${p}/static/data.bin`, headers: { range: 'bytes=10-99' } }),
    check: (res, expect) => {
      expect(res.status).toBe(206);
      expect(headerValues(res, 'content-range')).toEqual(['bytes 10-99/200000']);
      expect(res.body.length).toBe(90);
    },
  },
  {
    name: 'static: a suffix Range (bytes=-20) is a 206',
    only: EXPRESS,
    request: (p) => ({ path: `${p}/static/data.bin`, headers: { range: 'bytes=-20' } }),
    check: (res, expect) => expect(res.status).toBe(206),
  },
  {
    name: 'static: an unsatisfiable Range is a 416',
    only: EXPRESS,
    request: (p) => ({ path: `${p}/static/data.bin`, headers: { range: 'bytes=300000-' } }),
    check: status(416),
  },
  {
    name: 'static: If-Range with a stale ETag sends the whole file',
    only: EXPRESS,
    request: (p) => ({ path: `${p}/static/data.bin`, headers: { range: 'bytes=0-9', 'if-range': '"stale"' } }),
    check: (res, expect) => {
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(200_000);
    },
  },
  {
    name: 'static: a folder without its slash redirects (301)',
    only: EXPRESS,
    request: (p) => ({ path: `${p}/static/sub` }),
    check: status(301),
  },
  {
    name: 'static: a folder serves its index.html',
    only: EXPRESS,
    request: (p) => ({ path: `${p}/static/sub/` }),
    check: (res, expect) => expect(res.body.toString()).toContain('sub index'),
  },
  {
    name: 'static: an encoded ../ does not leave the folder',
    only: EXPRESS,
    request: (p) => ({ path: `${p}/static/..%2f..%2fetc%2fpasswd` }),
    check: (res, expect) => expect([403, 404]).toContain(res.status),
  },
  {
    name: "static: a miss falls through to Express's 404",
    only: EXPRESS,
    request: (p) => ({ path: `${p}/static/missing.txt` }),
    check: status(404),
  },

  // fetch bodies of known length: ArrayBuffer, Blob, a stream whose length the app states
  {
    name: 'fetch body: an ArrayBuffer',
    only: ['hono'],
    request: (p) => ({ path: `${p}/body/arraybuffer` }),
    check: (res, expect) => expect(res.body.toString()).toBe('an ArrayBuffer body'),
  },
  {
    name: 'fetch body: a Blob',
    only: ['hono'],
    request: (p) => ({ path: `${p}/body/blob` }),
    check: (res, expect) => expect(res.body.toString()).toBe('a Blob body'),
  },
  {
    name: 'fetch body: a stream with the Content-Length the app gave',
    only: ['hono'],
    request: (p) => ({ path: `${p}/body/known-stream` }),
    check: (res, expect) => {
      expect(res.body.toString()).toBe('a stream of known length');
      expect(headerValues(res, 'content-length')).toEqual(['24']);
    },
  },

  // @hono/node-server's serveStatic over the same folder (it sends no ETag and no redirects)
  {
    name: 'static (Hono): a file with Last-Modified, Content-Type and Content-Length',
    only: ['hono'],
    request: (p) => ({ path: `${p}/static/hello.txt` }),
    check: (res, expect) => {
      expect(res.body.toString()).toBe('hello from a static file\n');
      expect(headerValues(res, 'last-modified')).toEqual(['Tue, 02 Jan 2024 03:04:05 GMT']);
      expect(headerValues(res, 'content-length')).toEqual(['25']);
    },
  },
  {
    name: 'static (Hono): HEAD',
    only: ['hono'],
    request: (p) => ({ method: 'HEAD', path: `${p}/static/data.bin` }),
    check: (res, expect) => {
      expect(headerValues(res, 'content-length')).toEqual(['200000']);
      expect(res.body.length).toBe(0);
    },
  },
  {
    name: 'static (Hono): Range bytes=10-99 is a 206',
    only: ['hono'],
    request: (p) => ({ path: `${p}/static/data.bin`, headers: { range: 'bytes=10-99' } }),
    check: (res, expect) => {
      expect(res.status).toBe(206);
      expect(headerValues(res, 'content-range')).toEqual(['bytes 10-99/200000']);
      expect(res.body.length).toBe(90);
    },
  },
  {
    name: 'static (Hono): a suffix Range (bytes=-20) is a 206',
    only: ['hono'],
    request: (p) => ({ path: `${p}/static/data.bin`, headers: { range: 'bytes=-20' } }),
    check: status(206),
  },
  {
    name: 'static (Hono): an unsatisfiable Range is a 416',
    only: ['hono'],
    request: (p) => ({ path: `${p}/static/data.bin`, headers: { range: 'bytes=300000-' } }),
    check: status(416),
  },
  {
    name: 'static (Hono): a folder serves its index.html',
    only: ['hono'],
    request: (p) => ({ path: `${p}/static/sub/` }),
    check: (res, expect) => expect(res.body.toString()).toContain('sub index'),
  },
  {
    name: 'static (Hono): an encoded ../ does not leave the folder',
    only: ['hono'],
    request: (p) => ({ path: `${p}/static/..%2f..%2fetc%2fpasswd` }),
    check: (res, expect) => expect([403, 404]).toContain(res.status),
  },
  {
    name: "static (Hono): a miss falls through to Hono's 404",
    only: ['hono'],
    request: (p) => ({ path: `${p}/static/missing.txt` }),
    check: status(404),
  },
];

let targets: Targets;

beforeAll(async () => {
  // The direct servers run in this process, and Express's finalhandler prints every error it
  // turns into a page (the 400, 416 and 500 cases are meant to fail): keep that off the report.
  vi.spyOn(console, 'error').mockImplementation(() => {});
  targets = await startTargets();
});

afterAll(async () => {
  closeClient();
  await targets?.close();
  vi.restoreAllMocks();
});

// Independent requests: each framework's cases run concurrently (a hang costs its bound once).
describe.each(TOPOLOGIES)('through switchyard %s, the same as directly', (topology) => {
  for (const framework of FRAMEWORKS) {
    describe.concurrent(framework, () => {
      for (const c of CASES) {
        if (c.only !== undefined && !c.only.includes(framework)) continue;
        it(c.name, async ({ expect }) => {
          const direct = (out: Outgoing) => send(targets.base('direct', framework), out);
          const out = await c.request(`/${framework}`, direct);
          const baseline = await direct(out);
          c.check(baseline, expect);
          const through = await send(targets.base(topology, framework), out);
          expect(comparable(through), `${out.method ?? 'GET'} ${out.path} via ${topology} vs directly`).toEqual(comparable(baseline));
          expect(headerValues(through, 'date'), 'one Date header').toHaveLength(1);
        });
      }
    });
  }
});
