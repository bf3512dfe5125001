import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawConnection, request, type RawResponse } from '../helpers/limits-clients.js';
import { httpWorker, type ScriptedWorker } from '../helpers/scripted-worker.js';
import { startServer, type Harness } from '../helpers/server-harness.js';

/**
 * Files the interface server serves itself (`static` option, with `send`): one folder at
 * `/static`, one at `/`. Next to the `/static` folder sit files that must never come out.
 */

const HELLO = 'hello, static world\n';
const DATA = '0123456789abcdef';
const SECRETS = ['TOP-SECRET-OUTSIDE-STATIC', 'PACKAGE-JSON-OUTSIDE-STATIC', 'DOTFILE-SECRET', 'HIDDEN-DIR-SECRET', 'root:x:0:0'];

let root: string;
let h: Harness;
let worker: ScriptedWorker;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'switchyard-static-'));
  const files: Record<string, string> = {
    'package.json': '{"marker": "PACKAGE-JSON-OUTSIDE-STATIC"}\n',
    secret: 'TOP-SECRET-OUTSIDE-STATIC\n',
    'static/hello.txt': HELLO,
    'static/style.css': 'body { color: red }\n',
    'static/data.bin': DATA,
    'static/.secret': 'DOTFILE-SECRET\n',
    'static/.hidden/inside.txt': 'HIDDEN-DIR-SECRET\n',
    'static/sub/page.html': '<p>page</p>\n',
    'static/日本/index.html': '<p>nihon</p>\n',
    'site/index.html': '<h1>home</h1>\n',
    'site/docs/index.html': '<h1>docs</h1>\n',
  };
  for (const [name, content] of Object.entries(files)) {
    const path = join(root, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, content);
  }
  h = await startServer('memory', {
    static: [
      { prefix: '/static', dir: join(root, 'static') },
      { prefix: '/', dir: join(root, 'site') },
    ],
    limits: { responseTimeoutMs: 5000 },
    shutdownTimeoutMs: 300,
  });
  worker = httpWorker(h.workerLayer, async (io) => {
    await io.start(200, [['content-type', 'text/plain'], ['x-served-by', 'worker']]);
    await io.body('from worker');
  });
});

afterAll(async () => {
  await worker?.stop();
  await h?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

function tookPath(path: string): boolean {
  return worker.taken.some((m) => m.path === path);
}

describe('files', () => {
  it('serves a file with its content type, ETag and Last-Modified, without a worker', async () => {
    const res = await request(h.url, '/static/hello.txt');
    expect(res.status).toBe(200);
    expect(res.text).toBe(HELLO);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers.etag).toMatch(/^(W\/)?"[^"]+"$/);
    const { mtime } = await stat(join(root, 'static/hello.txt'));
    expect(res.headers['last-modified']).toBe(mtime.toUTCString());
    expect(res.headers['x-served-by']).toBeUndefined();
    expect(tookPath('/static/hello.txt')).toBe(false);

    const css = await request(h.url, '/static/style.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers 304 to If-None-Match with the ETag and to If-Modified-Since with the Last-Modified', async () => {
    const first = await request(h.url, '/static/hello.txt');
    const etag = first.headers.etag!;
    const lastModified = first.headers['last-modified']!;

    const byTag = await request(h.url, '/static/hello.txt', { headers: { 'if-none-match': etag } });
    expect(byTag.status).toBe(304);
    expect(byTag.body.length).toBe(0);
    const otherTag = await request(h.url, '/static/hello.txt', { headers: { 'if-none-match': '"not-the-tag"' } });
    expect(otherTag.status).toBe(200);
    expect(otherTag.text).toBe(HELLO);

    const byDate = await request(h.url, '/static/hello.txt', { headers: { 'if-modified-since': lastModified } });
    expect(byDate.status).toBe(304);
    expect(byDate.body.length).toBe(0);
    const older = await request(h.url, '/static/hello.txt', { headers: { 'if-modified-since': new Date(0).toUTCString() } });
    expect(older.status).toBe(200);
  });

  it('answers a byte range with 206 and Content-Range, and an unsatisfiable one with 416', async () => {
    const part = await request(h.url, '/static/data.bin', { headers: { range: 'bytes=2-5' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 2-5/${DATA.length}`);
    expect(part.headers['content-length']).toBe('4');
    expect(part.text).toBe('2345');

    const beyond = await request(h.url, '/static/data.bin', { headers: { range: 'bytes=100-200' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${DATA.length}`);
    expect(beyond.text).not.toContain(DATA);
  });

  it('answers HEAD with the headers and no body', async () => {
    const conn = await RawConnection.open(h.url);
    try {
      await conn.write('HEAD /static/hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      expect(await conn.closesWithin(5000)).toBe(true);
      const [head, body] = conn.text.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 200 /);
      expect(head!.toLowerCase()).toContain(`content-length: ${Buffer.byteLength(HELLO)}`);
      expect(head!.toLowerCase()).toContain('content-type: text/plain; charset=utf-8');
      expect(body).toBe('');
    } finally {
      conn.destroy();
    }
  });
});

describe('folders', () => {
  it('serves index.html for "/" and for a folder with its slash', async () => {
    const home = await request(h.url, '/');
    expect(home.status).toBe(200);
    expect(home.text).toBe('<h1>home</h1>\n');
    expect(home.headers['content-type']).toBe('text/html; charset=utf-8');
    const docs = await request(h.url, '/docs/');
    expect(docs.status).toBe(200);
    expect(docs.text).toBe('<h1>docs</h1>\n');
  });

  it('redirects a folder without its trailing slash with 301 to the slash', async () => {
    const docs = await request(h.url, '/docs');
    expect(docs.status).toBe(301);
    expect(docs.headers.location).toBe('/docs/');
    const sub = await request(h.url, '/static/sub');
    expect(sub.status).toBe(301);
    expect(sub.headers.location).toBe('/static/sub/');
  });

  it('redirects a folder with a non-Latin-1 name to its slash with a percent-encoded Location', async () => {
    // The folder is static/日本; its path arrives percent-encoded and is decoded by the server.
    const res = await request(h.url, '/static/%E6%97%A5%E6%9C%AC', { timeoutMs: 3000 });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/static/%E6%97%A5%E6%9C%AC/');
    const index = await request(h.url, '/static/%E6%97%A5%E6%9C%AC/');
    expect(index.status).toBe(200);
    expect(index.text).toBe('<p>nihon</p>\n');
  });

  it('survives a folder request whose path has non-Latin-1 characters and ".." (/%E6%97%A5/%2e%2e/docs)', async () => {
    // No unusual folder is needed: `send` normalizes "/日/../docs" to the ordinary folder "docs",
    // and the redirect to "<decoded path>/" must not take the server down.
    const res = await request(h.url, '/%E6%97%A5/%2e%2e/docs', { timeoutMs: 3000 });
    expect([301, 400, 403, 404]).toContain(res.status);
    const after = await request(h.url, '/');
    expect(after.status).toBe(200);
  });

  it.each(['//evil.example/%2e%2e/docs', '/%5Cevil.example/%2e%2e/docs'])(
    'never redirects to another host: a folder reached by %s',
    async (path) => {
      // "/docs" is a real folder; what precedes ".." only has to look like a host to a browser.
      const res = await request(h.url, path, { timeoutMs: 3000 });
      const location = res.headers.location;
      if (location !== undefined) {
        expect(location, `Location ${location}`).toMatch(/^\/(?![\/\\])/); // one slash, then not another (nor a backslash)
        expect(new URL(location, 'http://our.host/').host).toBe('our.host');
      }
    },
  );
});

describe('what never comes out', () => {
  /** Refused (400/403/404) or handed to the worker: never a file from outside the folder. */
  function expectNoLeak(res: RawResponse, path: string): void {
    for (const secret of SECRETS) expect(res.text, `${path} leaked ${secret}`).not.toContain(secret);
    if (res.headers['x-served-by'] === 'worker') expect(res.text, path).toBe('from worker');
    else expect([400, 403, 404], `${path} answered ${res.status}`).toContain(res.status);
  }

  it.each([
    '/static/../package.json',
    '/static/%2e%2e/package.json',
    '/static/%2e%2e/secret',
    '/static/%2E%2E/secret',
    '/static/..%2fsecret',
    '/static/..%2Fpackage.json',
    '/static/sub/../../secret',
    '/static/sub/%2e%2e/%2e%2e/secret',
    '/static%2f..%2fsecret',
    '/static/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/%2e%2e/secret',
    '/..%2fstatic%2f..%2fsecret',
    '/static/%252e%252e/secret',
  ])('path traversal %s does not leak a file from outside the folder', async (path) => {
    expectNoLeak(await request(h.url, path), path);
  });

  it.each(['/static/.secret', '/static/.hidden/inside.txt', '/static/%2esecret'])('dotfile %s is not served', async (path) => {
    expectNoLeak(await request(h.url, path), path);
  });
});

describe('falling through to the workers', () => {
  it('hands a miss under a static prefix to the workers', async () => {
    const res = await request(h.url, '/static/missing.txt');
    expect(res.status).toBe(200);
    expect(res.text).toBe('from worker');
    expect(tookPath('/static/missing.txt')).toBe(true);
  });

  it('hands a folder without index.html and non-GET methods to the workers', async () => {
    const folder = await request(h.url, '/static/sub/');
    expect(folder.status).toBe(200);
    expect(folder.text).toBe('from worker');
    expect(tookPath('/static/sub/')).toBe(true);

    const post = await request(h.url, '/static/hello.txt', { method: 'POST', body: 'x' });
    expect(post.status).toBe(200);
    expect(post.text).toBe('from worker');
    expect(worker.taken.some((m) => m.path === '/static/hello.txt' && m.method === 'POST')).toBe(true);
  });

  it('hands a miss under the "/" mount to the workers', async () => {
    const res = await request(h.url, '/api/things?x=1');
    expect(res.status).toBe(200);
    expect(res.text).toBe('from worker');
    expect(tookPath('/api/things')).toBe(true);
  });
});
