import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import type { ServerContext } from '../context.js';
import { hostAllowed, originAllowed } from '../host-check.js';
import { BadRequestTarget, headerPairs, headerValue, requestScope } from '../http/scope.js';
import { denyUpgrade } from './deny.js';
import { Http2ConnectHandshake, UpgradeHandshake, type Handshake } from './handshake.js';
import type { PathMatcher } from './paths.js';
import { WebSocketSession } from './session.js';
import { handshakeProblem, versionProblem, type Upgrader } from './upgrader.js';

/** No subprotocols offered: one shared empty list, not one per connection. */
const NONE: string[] = [];

export interface UpgradeContext {
  ctx: ServerContext;
  upgrader: Upgrader;
  paths: PathMatcher;
  /** Paths whose handshakes the server accepts at once (no worker decides them). */
  acceptAtOnce: PathMatcher;
  sessions: Set<WebSocketSession>;
  /** Called by a session that has ended: it leaves `sessions` and what shutdown waits for. */
  onEnded(session: WebSocketSession): void;
}

/** A socket's error ends it; one function for every socket, not a closure each. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** An HTTP/1.1 `Upgrade: websocket` request. */
export function handleUpgrade(up: UpgradeContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', destroyOnError);
  const problem = handshakeProblem(req);
  if (problem !== undefined) return void denyUpgrade(socket, problem.status, problem.reason, problem.headers);
  return startSession(up, req, new UpgradeHandshake(up.upgrader, req, socket, head));
}

/** An HTTP/2 extended CONNECT (RFC 8441); other CONNECT requests are not ours to serve. */
export function handleConnect(up: UpgradeContext, req: Http2ServerRequest, res: Http2ServerResponse): void {
  const handshake = new Http2ConnectHandshake(req, res, up.ctx.options.limits.maxFrameBytes);
  if (req.headers[':protocol'] !== 'websocket') return void handshake.deny(405, 'CONNECT is only for WebSockets here');
  const problem = versionProblem(req.headers['sec-websocket-version']);
  if (problem !== undefined) return void handshake.deny(problem.status, problem.reason, problem.headers);
  return startSession(up, req, handshake);
}

/**
 * The server refuses on its own, before any worker is bothered: a bad Host (400), an Origin
 * not allowed (403), a path that takes no WebSockets (404). The rest becomes a session.
 */
function startSession(up: UpgradeContext, req: IncomingMessage | Http2ServerRequest, handshake: Handshake): void {
  const { ctx } = up;
  const headers = headerPairs(req);
  const { options } = ctx;
  const host = headerValue(headers, 'host'); // HTTP/2's :authority is in it (headerPairs)
  if (!hostAllowed(host, options.allowedHosts)) return void handshake.deny(400, 'invalid Host header');
  if (!originAllowed(headerValue(headers, 'origin'), host, options.allowedOrigins)) return void handshake.deny(403, 'origin not allowed');
  let scope;
  try {
    scope = requestScope(req, ctx.trustedProxies, headers);
  } catch (error) {
    if (error instanceof BadRequestTarget) return void handshake.deny(400, 'bad request target');
    throw error;
  }
  if (!up.paths.matches(scope.path)) return void handshake.deny(404, 'no WebSocket endpoint at this path');
  const offered = headerValue(headers, 'sec-websocket-protocol');
  const subprotocols = offered === undefined ? NONE : offered.split(',').map((p) => p.trim()).filter(Boolean);
  const session = new WebSocketSession(ctx, handshake, scope, subprotocols, ctx.channelFor(scope.path, 'websocket'), up.onEnded);
  up.sessions.add(session);
  ctx.inFlight.begin();
  session.start(scope, up.acceptAtOnce.matches(scope.path));
}
