import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import { WebSocket } from 'ws';
import type { Headers, WebsocketAccept } from '../../schemas/index.js';
import { responseHeaders } from '../http/respond.js';
import { denyUpgrade } from './deny.js';
import type { Upgrader } from './upgrader.js';

/**
 * How a WebSocket handshake is answered, whatever carries it: an HTTP/1.1 upgrade or an
 * HTTP/2 extended CONNECT (RFC 8441). The session decides; the handshake speaks.
 */
export interface Handshake {
  /** The client's transport closed before the handshake was answered. */
  onGone(listener: () => void): void;
  offGone(listener: () => void): void;
  deny(status: number, body?: Uint8Array | string, headers?: Headers): void;
  accept(accept: WebsocketAccept, onOpen: (ws: WebSocket) => void): void;
}

export class UpgradeHandshake implements Handshake {
  constructor(
    private readonly upgrader: Upgrader,
    private readonly req: IncomingMessage,
    private readonly socket: Duplex,
    private readonly head: Buffer,
  ) {}

  onGone(listener: () => void): void {
    this.socket.once('close', listener);
  }

  offGone(listener: () => void): void {
    this.socket.off('close', listener);
  }

  deny(status: number, body?: Uint8Array | string, headers?: Headers): void {
    denyUpgrade(this.socket, status, body, headers);
  }

  accept(accept: WebsocketAccept, onOpen: (ws: WebSocket) => void): void {
    this.upgrader.complete(this.req, this.socket, this.head, accept, onOpen);
  }
}

/**
 * `ws`'s own way to run a server-side WebSocket over a socket it did not upgrade itself (what
 * WebSocketServer does after a handshake; `setSocket` accepts any duplex). Its type
 * definitions leave this form out, so it is declared here.
 */
const ServerSideWebSocket = WebSocket as unknown as new (
  address: null,
  protocols: undefined,
  options: { autoPong: boolean },
) => WebSocket & {
  setSocket(socket: Duplex, head: Buffer, options: { maxPayload: number; allowSynchronousEvents: boolean; skipUTF8Validation: boolean }): void;
};

/**
 * RFC 8441: the handshake is a CONNECT stream with `:protocol: websocket`; 200 accepts it and
 * the stream then carries ordinary WebSocket frames (`ws` runs over any duplex). No
 * permessage-deflate here: it is simply not offered on HTTP/2.
 */
export class Http2ConnectHandshake implements Handshake {
  constructor(
    private readonly req: Http2ServerRequest,
    private readonly res: Http2ServerResponse,
    private readonly maxFrameBytes: number,
  ) {}

  onGone(listener: () => void): void {
    this.req.stream.once('close', listener);
  }

  offGone(listener: () => void): void {
    this.req.stream.off('close', listener);
  }

  deny(status: number, body: Uint8Array | string = '', headers: Headers = []): void {
    if (this.res.headersSent || this.req.stream.destroyed) return;
    const bytes = Buffer.from(typeof body === 'string' && body ? `${body}\n` : body);
    this.res.writeHead(status, { ...responseHeaders(headers, true), 'content-length': String(bytes.length) });
    this.res.end(bytes);
  }

  accept(accept: WebsocketAccept, onOpen: (ws: WebSocket) => void): void {
    if (this.req.stream.destroyed) return;
    const headers = responseHeaders(accept.headers, true);
    if (accept.subprotocol !== null) headers['sec-websocket-protocol'] = accept.subprotocol;
    this.res.writeHead(200, headers);
    const ws = new ServerSideWebSocket(null, undefined, { autoPong: true });
    ws.setSocket(this.req.stream, Buffer.alloc(0), { maxPayload: this.maxFrameBytes, allowSynchronousEvents: true, skipUTF8Validation: false });
    onOpen(ws);
  }
}
