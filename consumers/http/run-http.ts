import type { Logger } from 'pino';
import { describeError, parseServerToWorker, traceId, type HttpRequest as HttpRequestMessage, type WireMessage } from '../../schemas/index.js';
import { compose } from '../middleware.js';
import { groupFunctions, Lifetime, type Runtime } from '../runtime.js';
import type { HttpContext } from '../types.js';
import { ClientDisconnected, ExchangeIO } from './exchange-io.js';
import { readReady } from './ready-body.js';
import { HttpRequest } from './request.js';
import { text, toHttpResponse, type HttpResponse } from './response.js';

const EMPTY = new Uint8Array(0);

/**
 * Runs the HTTP consumer for one `http.request`: route, middleware, handler, then the
 * response: whole as one `http.response` when its body is known, else `http.response.start`
 * and body chunks (streamed within the server's credit). A failure before the start is a
 * 500; after it, `http.response.abort`.
 */
export async function runHttp(runtime: Runtime, raw: WireMessage): Promise<void> {
  const message = parseServerToWorker(raw) as HttpRequestMessage;
  const found = runtime.app.matchHttp(message.method, message.path);
  const consumer = found && 'route' in found ? found.route.name : `${message.method} ${message.path}`;
  const began = Date.now();
  const verdict = runtime.admission.verdict(consumer, message.deadline, began);
  if (verdict === 'expired') return; // its client has had its 504: nobody to answer
  if (verdict === 'late') return shed(runtime, message);
  // A consumer still running when its client stops waiting is stopped: its slot is worth more.
  const left = message.deadline === undefined ? Infinity : message.deadline - began;
  const lifetime =
    left < runtime.timeoutMs
      ? new Lifetime(left, consumer, `${consumer} was still running when its client stopped waiting (the server answered 504 at ${new Date(message.deadline!).toISOString()})`)
      : new Lifetime(runtime.timeoutMs, consumer);
  const io = new ExchangeIO(runtime.layer, message.reply_channel, message.extensions, lifetime);
  try {
    let response: HttpResponse;
    if (found === undefined) {
      response = text('not found', { status: 404 });
    } else if (!('route' in found)) {
      response = text('method not allowed', { status: 405, headers: { allow: [...new Set(found.allowed)].join(', ') } });
    } else {
      const { route, params } = found;
      const request = new HttpRequest(message, io, params, lifetime);
      const ctx = httpContext(runtime, io, request, params, consumer);
      await lifetime.race(
        compose(runtime.app.middleware, ctx, async () => {
          ctx.response = await route.handler(request, ctx);
        }),
      );
      if (ctx.response === undefined) throw new TypeError(`${consumer} returned no response`);
      response = toHttpResponse(ctx.response);
    }
    // What the deadline is about is the start of the response (a stream may run for hours).
    runtime.admission.took(consumer, Date.now() - began);
    await sendResponse(io, response, message.method, lifetime);
  } catch (error) {
    if (lifetime.reason instanceof ClientDisconnected) return; // nobody to tell
    runtime.logger.error({ err: error, consumer, path: message.path, trace_id: message.traceparent && traceId(message.traceparent) }, `HTTP consumer ${consumer} failed: ${describeError(error)}`);
    const answer = io.started
      ? io.send({ type: 'http.response.abort', reason: 'the application failed' })
      : io.send({ type: 'http.response', status: 500, headers: [['content-type', 'text/plain; charset=utf-8']], body: Buffer.from('internal server error\n') });
    await answer.catch(() => {});
  } finally {
    lifetime.done();
    io.close();
  }
}

/** 503 at once for a request that would finish after its client stopped waiting. */
async function shed(runtime: Runtime, message: HttpRequestMessage): Promise<void> {
  const headers = [['content-type', 'text/plain; charset=utf-8'], ['retry-after', '1']];
  await runtime.layer.send(message.reply_channel, { type: 'http.response', status: 503, headers, body: SHED_BODY }).catch(() => {});
}

const SHED_BODY = Buffer.from('server busy, try again later\n');

/**
 * A whole body goes out with its head as one `http.response`, which the server writes at once
 * with a Content-Length; a stream goes as `http.response.start` and its chunks.
 */
async function sendResponse(io: ExchangeIO, response: HttpResponse, method: string, lifetime: Lifetime): Promise<void> {
  let body = response.body;
  if (body instanceof ReadableStream) {
    const ready = await readReady(body);
    body = 'whole' in ready ? ready.whole : ready.stream;
  }
  const start = { type: 'http.response.start', status: response.status, headers: response.headers };
  if (body === null || typeof body === 'string' || body instanceof Uint8Array) {
    const bytes = body === null ? EMPTY : typeof body === 'string' ? Buffer.from(body) : body;
    // A length for a real body, so the server need not chunk; a response without one (a
    // redirect, 204, 304, HEAD) is left as the app made it.
    const bodyless = body === null || method === 'HEAD' || response.status === 204 || response.status === 304;
    if (!bodyless && !response.headers.some(([name]) => name === 'content-length' || name === 'transfer-encoding')) {
      start.headers = [...response.headers, ['content-length', String(bytes.length)]];
    }
    await io.send({ type: 'http.response', status: start.status, headers: start.headers, body: bytes });
    return;
  }
  await io.send(start);
  await io.watch(); // a stream may run long: hear of a client that leaves
  // A producer waiting for its next chunk (an SSE stream idling) is cancelled at once when the
  // client leaves, not when it next yields: `cancel` for a ReadableStream (what fetch handlers
  // such as Hono's stream helpers listen for), `return` for an async iterator.
  const signal = lifetime.signal;
  const reader = body instanceof ReadableStream ? body.getReader() : undefined;
  const iterator = reader === undefined ? (body as AsyncIterable<string | Uint8Array>)[Symbol.asyncIterator]() : undefined;
  const stop = (): void => {
    const stopped = reader ? reader.cancel(signal.reason) : iterator!.return?.();
    void Promise.resolve(stopped).catch(() => {});
  };
  signal.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const next = reader ? await reader.read() : await iterator!.next();
      if (next.done) break;
      signal.throwIfAborted();
      const bytes = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      if (bytes.length > 0) await io.sendBody(bytes, true);
    }
  } finally {
    signal.removeEventListener('abort', stop);
  }
  await io.sendBody(EMPTY, false);
}

function httpContext(
  runtime: Runtime,
  io: ExchangeIO,
  request: HttpRequest,
  params: Record<string, string>,
  consumer: string,
): HttpContext {
  const { layer } = runtime;
  let log: Logger | undefined;
  const traceparent = request.traceparent;
  return {
    kind: 'http',
    consumer,
    request,
    params,
    traceparent,
    get signal() {
      return request.signal; // registers for http.disconnect on first look
    },
    get log() {
      return (log ??= runtime.logger.child({ consumer, ...(traceparent ? { trace_id: traceId(traceparent) } : {}) })); // made on first use
    },
    locals: {},
    send: (channel, message, options) => runtime.send(channel, message, { traceparent, ...options }),
    ...groupFunctions(runtime),
    earlyHints: (links, headers = []) => io.send({ type: 'http.response.early_hints', links, headers }),
    async push(path, headers = []) {
      // The server pushes where the stream allows it, and sends a preload hint otherwise.
      const outcome = request.pushAvailable ? 'pushed' : request.earlyHintsAvailable ? 'hinted' : 'dropped';
      if (outcome !== 'dropped') await io.send({ type: 'http.response.push', path, headers });
      return outcome;
    },
  };
}
