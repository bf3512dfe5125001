import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ServerContext } from '../context.js';
import { hostAllowed, originAllowed } from '../host-check.js';
import { BadRequestTarget, headerPairs, headerValue, requestScope } from '../http/scope.js';
import { denyUpgrade } from './deny.js';
import type { PathMatcher } from './paths.js';
import { WebSocketSession } from './session.js';
import { handshakeProblem, type Upgrader } from './upgrader.js';

/**
 * Takes an upgrade request from the listener. The server refuses on its own, before any
 * worker is bothered: a non-WebSocket upgrade or broken handshake (400), a bad Host (400), an
 * Origin not allowed (403), a path that takes no WebSockets (404). The rest becomes a session.
 */
export function handleUpgrade(
  ctx: ServerContext,
  upgrader: Upgrader,
  paths: PathMatcher,
  sessions: Set<WebSocketSession>,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> | undefined {
  socket.on('error', () => socket.destroy());
  const problem = handshakeProblem(req);
  if (problem !== undefined) return void denyUpgrade(socket, 400, problem);
  const headers = headerPairs(req);
  const { options } = ctx;
  if (!hostAllowed(headerValue(headers, 'host'), options.allowedHosts)) return void denyUpgrade(socket, 400, 'invalid Host header');
  if (!originAllowed(headerValue(headers, 'origin'), options.allowedOrigins)) return void denyUpgrade(socket, 403, 'origin not allowed');
  let scope;
  try {
    scope = requestScope(req, ctx.trustedProxies, headers);
  } catch (error) {
    if (error instanceof BadRequestTarget) return void denyUpgrade(socket, 400, 'bad request target');
    throw error;
  }
  if (!paths.matches(scope.path)) return void denyUpgrade(socket, 404, 'no WebSocket endpoint at this path');
  const subprotocols = (headerValue(headers, 'sec-websocket-protocol') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const session = new WebSocketSession(ctx, upgrader, req, socket, head, scope, subprotocols, ctx.channelFor(scope.path, 'websocket'));
  sessions.add(session);
  return session.run().finally(() => sessions.delete(session));
}
