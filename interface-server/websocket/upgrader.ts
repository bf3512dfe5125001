import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WebsocketAccept } from '../../schemas/index.js';
import type { ServerOptions } from '../options.js';

/**
 * Completes WebSocket handshakes with `ws` once a worker accepted them, with the subprotocol
 * and extra headers of that worker's `websocket.accept`. Frame limits live here: frames over
 * `maxFrameBytes` close with 1009, invalid UTF-8 in text with 1007 (both by `ws`).
 */
export class Upgrader {
  private readonly wss: WebSocketServer;
  private readonly accepted = new WeakMap<IncomingMessage, WebsocketAccept>();

  constructor(options: ServerOptions) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      maxPayload: options.limits.maxFrameBytes,
      perMessageDeflate: options.websocket.perMessageDeflate,
      handleProtocols: (_offered, req) => this.accepted.get(req)?.subprotocol ?? false,
    });
    this.wss.on('headers', (headers: string[], req: IncomingMessage) => {
      for (const [name, value] of this.accepted.get(req)?.headers ?? []) headers.push(`${name}: ${value.replace(/[\r\n]/g, ' ')}`);
    });
  }

  complete(req: IncomingMessage, socket: Duplex, head: Buffer, accept: WebsocketAccept, onOpen: (ws: WebSocket) => void): void {
    this.accepted.set(req, accept);
    this.wss.handleUpgrade(req, socket, head, onOpen);
  }
}

/**
 * The extensions a connection will speak once accepted: what the client offered
 * (Sec-WebSocket-Extensions) and the server agrees to, told to the app before `ws` completes
 * the handshake. `ws` negotiates permessage-deflate on HTTP/1.1 upgrades when the server
 * enables it, and nothing else; an offer whose parameters `ws` refuses fails the handshake
 * itself, so the app never has a connection that speaks otherwise.
 */
export function agreedExtensions(options: ServerOptions, httpVersion: string, headers: readonly [string, string][]): string[] {
  if (!options.websocket.perMessageDeflate || httpVersion === '2') return [];
  const offered = headers.filter(([name]) => name === 'sec-websocket-extensions').flatMap(([, value]) => value.split(','));
  return offered.some((offer) => offer.split(';')[0]!.trim().toLowerCase() === 'permessage-deflate') ? ['permessage-deflate'] : [];
}

/** The one WebSocket version spoken (RFC 6455); a handshake for another gets 426 naming it. */
export const WEBSOCKET_VERSION = '13';

/** A handshake refused before any worker hears of it: status, reason, and headers to send. */
export interface HandshakeRefusal {
  status: number;
  reason: string;
  headers: [string, string][];
}

/** Why an upgrade request is not a WebSocket handshake `ws` would complete, or undefined. */
export function handshakeProblem(req: IncomingMessage): HandshakeRefusal | undefined {
  if (req.method !== 'GET') return { status: 400, reason: 'WebSocket handshakes use GET', headers: [] };
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return { status: 400, reason: 'unsupported upgrade', headers: [] };
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !/^[+/0-9A-Za-z]{22}==$/.test(key.trim())) return { status: 400, reason: 'missing or invalid Sec-WebSocket-Key', headers: [] };
  return versionProblem(req.headers['sec-websocket-version']);
}

/** RFC 6455 §4.4: another version is answered 426 with the version the server speaks. */
export function versionProblem(version: string | string[] | undefined): HandshakeRefusal | undefined {
  if (version === WEBSOCKET_VERSION) return undefined;
  return { status: 426, reason: `unsupported Sec-WebSocket-Version (this server speaks ${WEBSOCKET_VERSION})`, headers: [['sec-websocket-version', WEBSOCKET_VERSION]] };
}
