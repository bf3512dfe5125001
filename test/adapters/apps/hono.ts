/**
 * The differential tests' Hono app, under /hono. Served directly by the Node
 * server Hono users run (@hono/node-server) and through switchyard as `fromFetch(honoApp.fetch)`.
 */
import { earlyHints } from '@hono/node-server/early-hints';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { etag } from 'hono/etag';
import { stream, streamSSE } from 'hono/streaming';
import { eventsOf, generatedBody, HINT_LINKS, record, release, visibleFetchHeaders, waitRelease } from './state.js';

/** What both servers give the handler as `c.env`: @hono/node-server's Node response, switchyard's FetchEnv. */
interface Env {
  Bindings: { outgoing: { writeEarlyHints(hints: Record<string, string | string[]>): void } };
}

const app = new Hono<Env>().basePath('/hono');

/** Resolves when `signal` aborts (at once if it has). */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

app.all('/inspect/:id', (c) =>
  c.json({
    method: c.req.method,
    url: c.req.url,
    params: c.req.param(),
    query: c.req.queries(),
    headers: visibleFetchHeaders(c.req.raw.headers),
  }),
);

app.post('/json', async (c) => {
  let value: unknown;
  try {
    value = await c.req.json();
  } catch {
    return c.text('invalid JSON', 400);
  }
  return c.json({ received: value }, 201, { 'x-received-type': c.req.header('content-type') ?? '' });
});

app.post('/form', async (c) => c.json({ received: await c.req.parseBody({ all: true }) }));

app.get('/cookies', (c) => {
  setCookie(c, 'a', '1', { path: '/' });
  setCookie(c, 'b', '2', { httpOnly: true, path: '/hono' });
  setCookie(c, 'c', '3', { expires: new Date(Date.UTC(2000, 0, 1)), sameSite: 'Lax' });
  return c.json({ cookie: c.req.header('cookie') ?? null, parsed: getCookie(c) });
});

app.get('/redirect', (c) => c.redirect(c.req.query('to') ?? '/', 302));
app.get('/moved', (c) => c.redirect('/hono/inspect/moved', 301));
app.get('/empty', (c) => c.body(null, 204));
app.get('/conditional', etag(), (c) => {
  c.header('ETag', '"v1"');
  return c.text('conditional body');
});
app.get('/text', (c) => c.text('plain text body'));

app.get('/headers', (c) => {
  c.header('x-dup', 'one');
  c.header('x-dup', 'two', { append: true });
  c.header('set-cookie', 'first=1; Path=/', { append: true });
  c.header('x-between', 'yes');
  c.header('set-cookie', 'second=2; Path=/', { append: true });
  c.header('cache-control', 'no-store');
  return c.text('headers');
});

app.get('/latin1', (c) => c.body(new TextEncoder().encode('latin1 header'), 200, { 'x-latin1': 'café', 'content-type': 'text/plain' }));

app.get('/boom', () => {
  throw new Error('boom from a route');
});
app.get('/async-boom', async () => {
  await new Promise((resolve) => setImmediate(resolve));
  throw new Error('async boom from a route');
});

app.get('/big', (c) => c.body(new Uint8Array(generatedBody(Number(c.req.query('size') ?? 1024))), 200, { 'content-type': 'application/octet-stream' }));

app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '/echo', (c) =>
  new Response(c.req.raw.body, {
    headers: {
      'content-type': c.req.header('content-type') ?? 'application/octet-stream',
      'x-request-length': c.req.header('content-length') ?? 'none',
      'x-request-te': c.req.header('transfer-encoding') ?? 'none',
    },
  }),
);

app.post('/ignore', (c) => c.text('ignored'));

app.get('/stream', (c) => {
  const id = c.req.query('id') ?? '';
  c.header('content-type', 'text/plain; charset=utf-8');
  return stream(c, async (s) => {
    await s.write('first\n');
    await waitRelease(id);
    await s.write('last\n');
  });
});

app.get('/sse', (c) => {
  const id = c.req.query('id') ?? '';
  return streamSSE(c, async (s) => {
    await s.writeSSE({ event: 'tick', data: 'first', id: '1' });
    await waitRelease(id);
    await s.writeSSE({ event: 'tick', data: 'last', id: '2' });
  });
});

// A stream that stays open until the client leaves (an SSE feed with nothing to say).
app.get('/hold', (c) => {
  const id = c.req.query('id') ?? '';
  record(id, 'entered');
  c.req.raw.signal.addEventListener('abort', () => record(id, 'signal.abort'), { once: true });
  c.header('content-type', 'text/plain; charset=utf-8');
  return stream(c, async (s) => {
    const gone = new Promise<void>((resolve) => s.onAbort(resolve));
    s.onAbort(() => record(id, 'stream.abort'));
    await s.write('first\n');
    await gone;
  });
});

// No response until the client leaves (a long poll).
app.get('/hang', async (c) => {
  const id = c.req.query('id') ?? '';
  record(id, 'entered');
  await aborted(c.req.raw.signal);
  record(id, 'signal.abort');
  return c.text('too late');
});

app.get('/events', (c) => c.json(eventsOf(c.req.query('id') ?? '')));
app.get('/release', (c) => c.json({ released: release(c.req.query('id') ?? '') }));

// Hono's default handler answers the same, after a console.error the test output can do without.
app.onError((_error, c) => c.text('Internal Server Error', 500));

// Bodies of known length in each form a fetch handler may give them.
app.get('/body/arraybuffer', (c) => c.body(new TextEncoder().encode('an ArrayBuffer body').buffer as ArrayBuffer, 200, { 'content-type': 'text/plain' }));
// (With no headers given, @hono/node-server sends a Blob as text/plain; charset=UTF-8 whatever its
// type, where the Fetch standard says the Blob's type; switchyard keeps the standard's answer.)
app.get('/body/blob', () => new Response(new Blob(['a Blob ', 'body']), { headers: { 'content-type': 'text/plain' } }));
app.get('/body/known-stream', () => {
  const parts = ['a stream ', 'of known length'];
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, 20)); // a producer at work: not ready at once
      const next = parts.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/plain', 'content-length': '24' } });
});

// @hono/node-server's own static middleware, over the differential tests' temporary folder.
const staticDir = process.env.ADAPTER_STATIC_DIR;
if (staticDir) app.use('/static/*', serveStatic({ root: staticDir, rewriteRequestPath: (path) => path.replace(/^\/hono\/static/, '') }));

// 103 Early Hints the way a Hono app on @hono/node-server sends them: by hand, and by its middleware.
app.get('/hints-middleware', earlyHints({ link: HINT_LINKS[0]! }), (c) => c.text('hinted'));
app.get('/hint-one', (c) => {
  c.env.outgoing.writeEarlyHints({ link: HINT_LINKS[0]! });
  return c.text('hinted');
});
app.get('/hints', (c) => {
  c.env.outgoing.writeEarlyHints({ link: HINT_LINKS });
  return c.text('hinted');
});
app.get('/hints-extra', (c) => {
  c.env.outgoing.writeEarlyHints({ link: HINT_LINKS[0]!, 'x-hint-trace': 'abc' });
  return c.text('hinted');
});

export default app;
