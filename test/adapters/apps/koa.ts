/**
 * The differential tests' Koa app, under /koa: routing and body parsing by hand (no
 * koa-router / koa-bodyparser installed), Koa's own redirects, cookies, freshness and errors.
 * Mounted through switchyard as `fromNode(koaApp.callback())`.
 */
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import Koa from 'koa';
import { watchNodeExchange } from './express-app.js';
import { eventsOf, generatedBody, HINT_LINKS, release, visibleHeaders, waitRelease } from './state.js';

const PREFIX = '/koa';

type Handler = (ctx: Koa.Context, params: Record<string, string>) => Promise<void> | void;
const routes: { method: string; pattern: RegExp; keys: string[]; handler: Handler }[] = [];

function route(method: string, path: string, handler: Handler): void {
  const keys: string[] = [];
  const source = (PREFIX + path).replace(/:([A-Za-z]+)/g, (_m, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  routes.push({ method, pattern: new RegExp(`^${source}$`), keys, handler });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function queryId(ctx: Koa.Context): string {
  return String(ctx.query.id);
}

route('*', '/inspect/:id', (ctx, params) => {
  ctx.body = {
    method: ctx.method,
    url: ctx.url,
    params,
    query: ctx.query,
    headers: visibleHeaders(ctx.req.rawHeaders),
    ip: ctx.ip,
    protocol: ctx.protocol,
    host: ctx.host,
    secure: ctx.secure,
    httpVersion: ctx.req.httpVersion,
  };
});

async function jsonRoute(ctx: Koa.Context, status: number): Promise<void> {
  const text = (await readBody(ctx.req)).toString('utf8');
  let value: unknown = null;
  if (text !== '') {
    try {
      value = JSON.parse(text);
    } catch {
      ctx.throw(400, 'invalid JSON');
    }
  }
  ctx.status = status;
  ctx.set('x-received-type', ctx.get('content-type'));
  ctx.body = { received: value };
}

route('POST', '/json', (ctx) => jsonRoute(ctx, 201));
route('GET', '/json-get', (ctx) => jsonRoute(ctx, 200));

route('POST', '/form', async (ctx) => {
  const form = new URLSearchParams((await readBody(ctx.req)).toString('utf8'));
  const received: Record<string, string | string[]> = {};
  for (const key of new Set(form.keys())) {
    const all = form.getAll(key);
    received[key] = all.length === 1 ? all[0]! : all;
  }
  ctx.body = { received };
});

route('GET', '/cookies', (ctx) => {
  ctx.cookies.set('a', '1', { httpOnly: false });
  ctx.cookies.set('b', '2', { path: PREFIX });
  ctx.cookies.set('c', '3', { expires: new Date(Date.UTC(2000, 0, 1)), sameSite: 'lax' });
  ctx.body = { cookie: ctx.get('cookie') || null, parsed: { session: ctx.cookies.get('session') ?? null, theme: ctx.cookies.get('theme') ?? null } };
});

route('GET', '/redirect', (ctx) => ctx.redirect(String(ctx.query.to ?? '/')));
route('GET', '/moved', (ctx) => {
  ctx.status = 301;
  ctx.redirect(`${PREFIX}/inspect/moved`);
});
route('GET', '/empty', (ctx) => {
  ctx.status = 204;
});
route('GET', '/conditional', (ctx) => {
  ctx.set('etag', '"v1"');
  ctx.body = 'conditional body';
  if (ctx.fresh) ctx.status = 304;
});
route('GET', '/text', (ctx) => {
  ctx.body = 'plain text body';
});

route('GET', '/headers', (ctx) => {
  ctx.set('x-dup', ['one', 'two']);
  ctx.append('set-cookie', 'first=1; Path=/');
  ctx.set('x-between', 'yes');
  ctx.append('set-cookie', 'second=2; Path=/');
  ctx.set('cache-control', 'no-store');
  ctx.body = 'headers';
});

// A Buffer body: Koa ends a string body with res.end(string), and Node then writes the head as UTF-8.
route('GET', '/latin1', (ctx) => {
  ctx.set('x-latin1', 'café');
  ctx.type = 'text/plain';
  ctx.body = Buffer.from('latin1 header');
});

route('GET', '/boom', () => {
  throw new Error('boom from a route');
});
route('GET', '/async-boom', async () => {
  await new Promise((resolve) => setImmediate(resolve));
  throw new Error('async boom from a route');
});

route('GET', '/big', (ctx) => {
  ctx.type = 'application/octet-stream';
  ctx.body = generatedBody(Number(ctx.query.size ?? 1024));
});

route('*', '/echo', (ctx) => {
  const length = ctx.get('content-length');
  ctx.body = ctx.req;
  ctx.set('content-type', ctx.get('content-type') || 'application/octet-stream');
  if (length !== '') ctx.length = Number(length);
  ctx.set('x-request-length', length || 'none');
  ctx.set('x-request-te', ctx.get('transfer-encoding') || 'none');
});

route('POST', '/ignore', (ctx) => {
  ctx.body = 'ignored';
});

route('GET', '/stream', (ctx) => {
  const body = new PassThrough();
  ctx.type = 'text/plain';
  ctx.body = body;
  body.write('first\n');
  void waitRelease(queryId(ctx)).then(() => body.end('last\n'));
});

route('GET', '/hold', (ctx) => {
  watchNodeExchange(queryId(ctx), ctx.req, ctx.res);
  const body = new PassThrough();
  ctx.type = 'text/plain';
  ctx.body = body;
  body.write('first\n');
});

route('GET', '/hang', async (ctx) => {
  watchNodeExchange(queryId(ctx), ctx.req, ctx.res);
  await new Promise((resolve) => ctx.res.once('close', resolve));
  ctx.body = 'too late';
});

route('GET', '/events', (ctx) => {
  ctx.body = eventsOf(queryId(ctx));
});
route('GET', '/release', (ctx) => {
  ctx.body = { released: release(queryId(ctx)) };
});

route('GET', '/hint-one', (ctx) => {
  ctx.res.writeEarlyHints({ link: HINT_LINKS[0]! });
  ctx.body = 'hinted';
});
route('GET', '/hints', (ctx) => {
  ctx.res.writeEarlyHints({ link: HINT_LINKS });
  ctx.body = 'hinted';
});
route('GET', '/hints-extra', (ctx) => {
  ctx.res.writeEarlyHints({ link: HINT_LINKS[0]!, 'x-hint-trace': 'abc' });
  ctx.body = 'hinted';
});

const koa = new Koa();
koa.silent = true; // Koa's default error handler logs to stderr otherwise
koa.use(async (ctx) => {
  for (const { method, pattern, keys, handler } of routes) {
    const found = pattern.exec(ctx.path);
    if (found === null) continue;
    if (method !== '*' && method !== ctx.method && !(ctx.method === 'HEAD' && method === 'GET')) continue;
    const params: Record<string, string> = {};
    keys.forEach((key, i) => (params[key] = decodeURIComponent(found[i + 1]!)));
    await handler(ctx, params);
    return;
  }
  // no route: Koa's own 404
});

export default koa;
