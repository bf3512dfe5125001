import { describeError } from '../../schemas/index.js';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { HttpHandler, HttpContext } from '../types.js';
import { respond } from '../http/response.js';
import type { HttpRequest } from '../http/request.js';
import { socketPair } from './socket-pair.js';

/** A Node request handler: Express 4/5, `koaApp.callback()`, connect, or a plain `(req, res)`. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Hop-by-hop headers of the in-memory connection; the interface server sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade']);

/**
 * Runs a Node `(req, res)` app as an HTTP consumer, unchanged. The app gets Node's own
 * IncomingMessage and ServerResponse: an in-process `http.Server` (never listening) takes one
 * end of an in-memory connection and Node's HTTP client speaks on the other, so everything
 * the app touches (headers, streams, `writeHead`, `write`, `end`, `pipe`, `writeEarlyHints`,
 * events) behaves exactly as under `node:http`. Both directions stream: the request body is
 * pulled from the server as the app reads it, the response goes out chunk by chunk as the app
 * writes it.
 */
export function fromNode(app: NodeHandler): HttpHandler {
  const contexts = new WeakMap<object, HttpContext>();
  const server = http.createServer((req, res) => runGuarded(app, req, res, contexts.get(req.socket)));
  server.on('clientError', (_error, socket) => socket.destroy());
  return (request, ctx) => bridge(server, contexts, request, ctx);
}

async function bridge(server: http.Server, contexts: WeakMap<object, HttpContext>, request: HttpRequest, ctx: HttpContext) {
  const [clientEnd, serverEnd] = socketPair({
    remoteAddress: request.client?.[0],
    remotePort: request.client?.[1],
    encrypted: request.scheme === 'https',
  });
  contexts.set(serverEnd, ctx);
  server.emit('connection', serverEnd);

  const headers: [string, string][] = request.headers.pairs.filter(([name]) => !HOP_BY_HOP.has(name));
  // A body without a length (chunked on HTTP/1.1, any HTTP/2 upload) is chunked here too:
  // Node's client chunks POST, PUT and PATCH by itself, but not a DELETE or GET with a body.
  if (request.hasBody && !request.headers.has('content-length')) headers.push(['transfer-encoding', 'chunked']);
  const outgoing = http.request({
    method: request.method,
    path: request.target,
    headers: headers.flat(),
    createConnection: () => clientEnd as never,
    setHost: false,
  });
  outgoing.on('information', (info) => {
    if (info.statusCode === 103) void forwardEarlyHints(info.rawHeaders, ctx).catch(() => {});
  });
  const gone = (): void => void outgoing.destroy();
  request.signal.addEventListener('abort', gone, { once: true });

  void sendBody(request, outgoing);
  const [response] = (await once(outgoing, 'response')) as [IncomingMessage];
  const pairs: [string, string][] = [];
  for (let i = 0; i < response.rawHeaders.length; i += 2) {
    const name = response.rawHeaders[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name)) pairs.push([name, response.rawHeaders[i + 1]!]);
  }
  response.once('close', () => request.signal.removeEventListener('abort', gone));
  return respond(request.method === 'HEAD' ? null : response, { status: response.statusCode ?? 500, headers: pairs });
}

/**
 * A 103 the app sent (`res.writeEarlyHints`), as early hints: one entry per link (Node joins
 * several into one value; they are split again at `, <`), and the other headers with them.
 */
function forwardEarlyHints(rawHeaders: string[], ctx: HttpContext): Promise<void> {
  const links: string[] = [];
  const others: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (name === 'link') links.push(...value.split(/,\s*(?=<)/));
    else others.push([name, value]);
  }
  return links.length > 0 ? ctx.earlyHints(links, others) : Promise.resolve();
}

/** The request body into the app as it arrives, with backpressure from the app's reading. */
async function sendBody(request: HttpRequest, outgoing: http.ClientRequest): Promise<void> {
  try {
    if (request.hasBody) {
      for await (const chunk of request.stream()) {
        if (!outgoing.write(chunk)) await once(outgoing, 'drain');
      }
    }
    outgoing.end();
  } catch (error) {
    outgoing.destroy(error as Error);
  }
}

/**
 * An exception from the app (thrown, or a rejected promise it returned) becomes a 500 for that
 * request and a log line naming the route; it never reaches the worker's process.
 */
function runGuarded(app: NodeHandler, req: IncomingMessage, res: ServerResponse, ctx: HttpContext | undefined): void {
  const fail = (error: unknown): void => {
    ctx?.log.error({ err: error }, `the Node app behind ${ctx.consumer} threw: ${describeError(error)}`);
    if (!res.headersSent) {
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('internal server error\n');
    } else {
      res.destroy();
    }
  };
  try {
    const result = app(req, res);
    if (result instanceof Promise) result.catch(fail);
  } catch (error) {
    fail(error);
  }
}
