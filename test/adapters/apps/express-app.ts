/**
 * The Express app of the differential tests, built the same way for Express 5 (`express`) and
 * Express 4 (`express4`): every route lives under `prefix`, so the very same app object serves
 * the same paths directly (node:http) and through switchyard (`app.all('/express5/*', fromNode(app))`).
 *
 * Static files come from the folder in ADAPTER_STATIC_DIR (the tests make a temporary one).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type express from 'express';
import { eventsOf, generatedBody, HINT_LINKS, record, release, visibleHeaders, waitRelease } from './state.js';

type ExpressModule = typeof express;

function parseCookies(header: string | undefined): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) cookies[part.slice(0, eq).trim()] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return cookies;
}

/** Records what Node tells the app when the client goes away (or the response ends). */
export function watchNodeExchange(id: string, req: IncomingMessage, res: ServerResponse): void {
  record(id, 'entered');
  req.on('aborted', () => record(id, 'req.aborted'));
  req.on('close', () => record(id, 'req.close'));
  res.on('close', () => record(id, res.writableFinished ? 'res.close:finished' : 'res.close:unfinished'));
}

export function buildExpressApp(expressModule: ExpressModule, prefix: string): express.Express {
  const app = expressModule();
  // The error pages must not carry stack traces (they differ by call path): production mode.
  app.set('env', 'production');
  const r = expressModule.Router();

  r.all('/inspect/:id', (req, res) => {
    res.json({
      method: req.method,
      url: req.originalUrl,
      params: req.params,
      query: req.query,
      headers: visibleHeaders(req.rawHeaders),
      ip: req.ip,
      protocol: req.protocol,
      hostname: req.hostname,
      secure: req.secure,
      httpVersion: req.httpVersion,
    });
  });

  r.post('/json', expressModule.json(), (req, res) => {
    res.status(201).set('x-received-type', req.get('content-type') ?? '').json({ received: req.body as unknown });
  });

  // A body on a GET: allowed by HTTP, read by search-style APIs.
  r.get('/json-get', expressModule.json(), (req, res) => {
    res.json({ received: (req.body as unknown) ?? null });
  });

  r.post('/form', expressModule.urlencoded({ extended: false }), (req, res) => {
    res.json({ received: req.body as unknown });
  });

  r.get('/cookies', (req, res) => {
    res.cookie('a', '1');
    res.cookie('b', 'two words', { httpOnly: true, path: prefix });
    res.cookie('c', '3', { expires: new Date(Date.UTC(2000, 0, 1)), sameSite: 'lax' });
    res.json({ cookie: req.get('cookie') ?? null, parsed: parseCookies(req.get('cookie')) });
  });

  r.get('/redirect', (req, res) => res.redirect(String(req.query.to ?? '/')));
  r.get('/moved', (_req, res) => res.redirect(301, `${prefix}/inspect/moved`));
  r.get('/empty', (_req, res) => res.status(204).send('dropped by Express'));
  r.get('/conditional', (_req, res) => res.set('etag', '"v1"').send('conditional body'));
  r.get('/text', (_req, res) => res.type('text').send('plain text body'));

  r.get('/headers', (_req, res) => {
    res.setHeader('x-dup', ['one', 'two']);
    res.append('set-cookie', 'first=1; Path=/');
    res.setHeader('x-between', 'yes');
    res.append('set-cookie', 'second=2; Path=/');
    res.setHeader('cache-control', 'no-store');
    res.send('headers');
  });

  // A Buffer body: with a string one Node itself writes the head as UTF-8 (see the test).
  r.get('/latin1', (_req, res) => {
    res.setHeader('x-latin1', 'café');
    res.type('text').send(Buffer.from('latin1 header'));
  });

  r.get('/boom', () => {
    throw new Error('boom from a route');
  });
  r.get('/async-boom', (_req, _res, next) => {
    setImmediate(() => next(new Error('async boom from a route')));
  });

  r.get('/big', (req, res) => {
    res.type('application/octet-stream').send(generatedBody(Number(req.query.size ?? 1024)));
  });

  r.all('/echo', (req, res) => {
    const length = req.get('content-length');
    res.setHeader('content-type', req.get('content-type') ?? 'application/octet-stream');
    if (length !== undefined) res.setHeader('content-length', length);
    res.setHeader('x-request-length', length ?? 'none');
    res.setHeader('x-request-te', req.get('transfer-encoding') ?? 'none');
    req.pipe(res);
  });

  r.post('/ignore', (_req, res) => {
    res.send('ignored');
  });

  r.get('/stream', (req, res) => {
    const id = String(req.query.id);
    res.type('text');
    res.write('first\n');
    void waitRelease(id).then(() => res.end('last\n'));
  });

  r.get('/hold', (req, res) => {
    watchNodeExchange(String(req.query.id), req, res);
    res.type('text');
    res.write('first\n');
  });

  r.get('/hang', (req, res) => {
    watchNodeExchange(String(req.query.id), req, res);
  });

  r.get('/events', (req, res) => res.json(eventsOf(String(req.query.id))));
  r.get('/release', (req, res) => res.json({ released: release(String(req.query.id)) }));

  r.get('/hint-one', (_req, res) => {
    res.writeEarlyHints({ link: HINT_LINKS[0]! });
    res.send('hinted');
  });
  r.get('/hints', (_req, res) => {
    res.writeEarlyHints({ link: HINT_LINKS });
    res.send('hinted');
  });
  r.get('/hints-extra', (_req, res) => {
    res.writeEarlyHints({ link: HINT_LINKS[0]!, 'x-hint-trace': 'abc' });
    res.send('hinted');
  });

  app.use(prefix, r);
  const staticDir = process.env.ADAPTER_STATIC_DIR;
  if (staticDir) app.use(`${prefix}/static`, expressModule.static(staticDir));
  return app;
}
