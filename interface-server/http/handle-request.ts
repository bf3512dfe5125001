import type { Http2ServerRequest } from 'node:http2';
import type { Headers } from '../../schemas/index.js';
import type { ServerContext } from '../context.js';
import { BodyTooLarge, RequestTimeout } from '../failures.js';
import { hostAllowed } from '../host-check.js';
import type { AnyRequest, AnyResponse } from '../listener.js';
import { serveStatic } from '../static-files.js';
import { BodyReader } from './body-reader.js';
import { HttpExchange, type Inbound } from './exchange.js';
import { refuseOversizedBody, refuseSlowBody } from './refuse-body.js';
import { sendPlain } from './respond.js';
import { BadRequestTarget, headerPairs, headerValue, requestScope, type RequestScope } from './scope.js';

/**
 * Takes an HTTP request from the listener: what the server can answer alone it answers
 * (bad Host 400, unreadable target 400, oversized body 413, static files), the rest becomes
 * an exchange with the workers. Returns a promise only when it has to wait (for a static
 * file, or the first chunk of a body): a plain GET goes out within the call.
 */
export function handleRequest(ctx: ServerContext, req: AnyRequest, res: AnyResponse): Promise<void> | void {
  const { options } = ctx;
  const headers = headerPairs(req);
  if (!hostAllowed(headerValue(headers, 'host'), options.allowedHosts)) return sendPlain(res, 400, 'invalid Host header');
  let scope;
  try {
    scope = requestScope(req, ctx.trustedProxies, headers);
  } catch (error) {
    if (error instanceof BadRequestTarget) return sendPlain(res, 400, 'bad request target');
    throw error;
  }
  const declared = Number(headerValue(headers, 'content-length') ?? 0);
  if (declared > options.limits.maxBodyBytes) return refuseOversizedBody(res, new BodyReader(req, options.limits.maxBodyBytes, options.limits.bodyChunkBytes, options.limits.requestTimeoutMs));
  if (ctx.staticMounts.length > 0) return staticOrExchange(ctx, req, res, scope, headers);
  return exchange(ctx, req, res, scope, headers);
}

async function staticOrExchange(ctx: ServerContext, req: AnyRequest, res: AnyResponse, scope: RequestScope, headers: Headers): Promise<void> {
  const query = Buffer.from(scope.query_string).toString('latin1');
  if (await serveStatic(req, res, scope.path, query, ctx.staticMounts)) return;
  await exchange(ctx, req, res, scope, headers);
}

function exchange(ctx: ServerContext, req: AnyRequest, res: AnyResponse, scope: RequestScope, headers: Headers): Promise<void> | void {
  if (!hasBody(req, headers)) return startExchange(ctx, req, res, scope, NO_BODY, undefined);
  return exchangeWithBody(ctx, req, res, scope);
}

async function exchangeWithBody(ctx: ServerContext, req: AnyRequest, res: AnyResponse, scope: RequestScope): Promise<void> {
  const { limits } = ctx.options;
  const body = new BodyReader(req, limits.maxBodyBytes, limits.bodyChunkBytes, limits.requestTimeoutMs);
  let first;
  try {
    first = await body.next();
  } catch (error) {
    if (error instanceof BodyTooLarge) return refuseOversizedBody(res, body);
    if (error instanceof RequestTimeout) return refuseSlowBody(res);
    return; // the client went away while sending
  }
  startExchange(ctx, req, res, scope, first, body);
}

function startExchange(ctx: ServerContext, req: AnyRequest, res: AnyResponse, scope: RequestScope, first: Inbound['first'], body: BodyReader | undefined): void {
  const pushAllowed = req.httpVersion === '2.0' && Boolean((req as { stream?: { pushAllowed?: boolean } }).stream?.pushAllowed);
  const inbound: Inbound = { method: req.method ?? 'GET', scope, first, body, pushAllowed };
  new HttpExchange(ctx, res, inbound, ctx.channelFor(scope.path, 'http')).start();
}

const NO_BODY: { body: Buffer; more: boolean } = { body: Buffer.alloc(0), more: false };

/**
 * Whether the request carries a body, from what has already been parsed: on HTTP/1.x a
 * Content-Length or Transfer-Encoding (RFC 9112 §6.3); on HTTP/2 a HEADERS frame without
 * END_STREAM. Most GETs have none, and need no body reader at all.
 */
function hasBody(req: AnyRequest, headers: Headers): boolean {
  if (req.httpVersion === '2.0') return !(req as Http2ServerRequest).stream.endAfterHeaders;
  const length = headerValue(headers, 'content-length');
  return (length !== undefined && length !== '0') || headerValue(headers, 'transfer-encoding') !== undefined;
}
