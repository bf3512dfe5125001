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

/** Why an upgrade request is not a WebSocket handshake `ws` would complete, or undefined. */
export function handshakeProblem(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET') return 'WebSocket handshakes use GET';
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return 'unsupported upgrade';
  const key = req.headers['sec-websocket-key'];
  if (key === undefined || !/^[+/0-9A-Za-z]{22}==$/.test(key.trim())) return 'missing or invalid Sec-WebSocket-Key';
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return 'unsupported Sec-WebSocket-Version';
  return undefined;
}
