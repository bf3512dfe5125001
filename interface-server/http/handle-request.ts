import type { ServerContext } from '../context.js';
import { BodyTooLarge } from '../failures.js';
import { hostAllowed } from '../host-check.js';
import type { AnyRequest, AnyResponse } from '../listener.js';
import { serveStatic } from '../static-files.js';
import { BodyReader } from './body-reader.js';
import { HttpExchange } from './exchange.js';
import { sendPlain } from './respond.js';
import { BadRequestTarget, headerPairs, headerValue, requestScope } from './scope.js';

/**
 * Takes an HTTP request from the listener: what the server can answer alone it answers
 * (bad Host 400, unreadable target 400, oversized body 413, static files), the rest becomes
 * an exchange with the workers.
 */
export async function handleRequest(ctx: ServerContext, req: AnyRequest, res: AnyResponse): Promise<void> {
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
  if (declared > options.limits.maxBodyBytes) return refuseBody(req, res);
  if (ctx.staticMounts.length > 0) {
    const query = Buffer.from(scope.query_string).toString('latin1');
    if (await serveStatic(req, res, scope.path, query, ctx.staticMounts)) return;
  }

  const body = new BodyReader(req, options.limits.maxBodyBytes, options.limits.bodyChunkBytes);
  let first;
  try {
    first = await body.next();
  } catch (error) {
    if (error instanceof BodyTooLarge) return refuseBody(req, res);
    return; // the client went away while sending
  }
  const pushAllowed = req.httpVersion === '2.0' && Boolean((req as { stream?: { pushAllowed?: boolean } }).stream?.pushAllowed);
  const inbound = { method: req.method ?? 'GET', scope, first, body, pushAllowed };
  await new HttpExchange(ctx, res, inbound, ctx.channelFor(scope.path, 'http')).run();
}

/** 413, and the connection closes: the rest of the body is not worth reading. */
function refuseBody(req: AnyRequest, res: AnyResponse): void {
  sendPlain(res, 413, 'request body too large', req.httpVersion === '2.0' ? {} : { connection: 'close' });
}
