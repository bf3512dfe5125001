import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { announcedHeaderListSize } from './http/header-limit.js';

export type AnyRequest = IncomingMessage | Http2ServerRequest;
export type AnyResponse = ServerResponse | Http2ServerResponse;

export interface ListenerHandlers {
  request(req: AnyRequest, res: AnyResponse): void;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** HTTP/2 CONNECT (with `enableConnectProtocol`, RFC 8441 WebSockets). */
  connect(req: Http2ServerRequest, res: Http2ServerResponse): void;
}

export interface ListenerOptions {
  host: string;
  port: number;
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
  maxHeaderBytes: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
  enableConnectProtocol: boolean;
}

/** The HTTP/2 connection preface (RFC 9113 §3.4): how a prior-knowledge h2c client opens. */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

const EMPTY = Buffer.alloc(0);

/**
 * One port for HTTP/1.1, HTTP/2 and WebSocket upgrades.
 *
 * With TLS, ALPN picks h2 or http/1.1. Without it, the first bytes decide: the HTTP/2 preface
 * goes to the h2c server (prior knowledge), anything else to the HTTP/1.1 server. Either way
 * one HTTP/1.1 and one HTTP/2 server (neither listening itself) take the connections, and
 * both hand over Node's compatible req/res pairs, so the rest of the server has one code path
 * for both versions.
 */
export class Listener {
  private readonly front: net.Server | tls.Server;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly sockets = new Set<Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();

  constructor(
    private readonly options: ListenerOptions,
    handlers: ListenerHandlers,
  ) {
    // Node's HTTP server turns Nagle's algorithm off only on sockets it accepts itself; these
    // come from the front server, which does it (noDelay) — else a response written in two
    // pieces waits ~40 ms for the client's delayed ACK.
    this.h1 = http.createServer(
      {
        maxHeaderSize: options.maxHeaderBytes,
        headersTimeout: options.headersTimeoutMs,
        // Node's own request timeout counts from the first byte to the last, including the time
        // the server held the client back for a slow worker: the body reader measures only the
        // client's delay instead (limits.requestTimeoutMs, http/body-reader.ts).
        requestTimeout: 0,
        keepAliveTimeout: options.keepAliveTimeoutMs,
        // How often Node checks the headers timeout: often enough that it means what it says.
        connectionsCheckingInterval: Math.max(100, options.headersTimeoutMs >> 2),
      },
      handlers.request,
    );
    // This server gets its sockets from the front one and never listens itself; its connection
    // tracking (which enforces the timeouts and lets shutdown close idle keep-alive connections)
    // starts on 'listening'.
    this.h1.emit('listening');
    this.h1.on('upgrade', handlers.upgrade);
    this.h1.setTimeout(options.idleTimeoutMs); // a socket with no traffic either way for this long is closed
    // HTTP/2 announces a header limit in SETTINGS; a peer that exceeds it gets its stream reset.
    // It is set above maxHeaderBytes, which the server answers 431 past itself.
    this.h2 = http2.createServer({
      settings: { enableConnectProtocol: options.enableConnectProtocol, maxHeaderListSize: announcedHeaderListSize(options.maxHeaderBytes) },
    });
    this.h2.on('request', handlers.request);
    this.h2.on('connect', handlers.connect);
    this.h2.on('session', (session: http2.ServerHttp2Session) => this.trackSession(session));
    this.h2.setTimeout(options.idleTimeoutMs);
    if (options.tls) {
      // TLS: ALPN picks the protocol, and the decrypted socket goes to the same two servers.
      const secure = tls.createServer({ ...options.tls, ALPNProtocols: ['h2', 'http/1.1'], handshakeTimeout: options.headersTimeoutMs, noDelay: true });
      secure.on('secureConnection', (socket: tls.TLSSocket) => {
        this.track(socket);
        (socket.alpnProtocol === 'h2' ? this.h2 : this.h1).emit('connection', socket);
      });
      secure.on('tlsClientError', (_error, socket) => socket.destroy());
      this.front = secure;
    } else {
      this.front = net.createServer({ noDelay: true }, (socket) => this.sniff(socket));
    }
  }

  async listen(): Promise<{ host: string; port: number }> {
    this.front.listen(this.options.port, this.options.host);
    await once(this.front, 'listening');
    const address = this.front.address() as net.AddressInfo;
    return { host: address.address, port: address.port };
  }

  /**
   * Stops accepting connections and asks open ones to wind down: HTTP/2 sessions get GOAWAY
   * (open streams finish), idle HTTP/1.1 keep-alive connections close. Resolves once the
   * listening socket is closed.
   */
  stopAccepting(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.front.close(() => resolve()));
    for (const session of this.sessions) session.close();
    // Closes idle keep-alive connections and stops the timeout checks; the error it reports
    // ("not running": it never listened) does not matter.
    this.h1.close(() => {});
    return closed;
  }

  destroyAll(): void {
    for (const session of this.sessions) session.destroy();
    for (const socket of this.sockets) socket.destroy();
  }

  private trackSession(session: http2.ServerHttp2Session): void {
    this.sessions.add(session);
    session.once('close', () => this.sessions.delete(session));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', this.untrack); // one listener shared by every socket: 'close' comes once
  }

  private readonly untrack = ((sockets: Set<Socket>) =>
    function (this: Socket): void {
      sockets.delete(this);
    })(this.sockets);

  /** Reads just enough to tell the HTTP/2 preface from HTTP/1.x, then hands the socket on. */
  private sniff(socket: Socket): void {
    this.track(socket);
    let seen: Buffer = EMPTY;
    const decide = (server: http.Server | http2.Http2Server): void => {
      // Every listener of the sniff goes, or its closures would keep the first bytes (a whole
      // upgrade request) alive for the life of the connection.
      socket.off('data', onData);
      socket.off('error', onEarlyError);
      socket.setTimeout(0);
      socket.off('timeout', onSilent);
      socket.pause();
      socket.unshift(seen);
      seen = EMPTY;
      server.emit('connection', socket);
      // The HTTP/1.1 parser listens for 'data'; an HTTP/2 session drains the unshifted bytes
      // with read() as it starts, and a resume here would spill them to no listener.
      if (server === this.h1) socket.resume();
    };
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, H2_PREFACE.length);
      if (!seen.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) decide(this.h1);
      else if (n === H2_PREFACE.length) decide(this.h2);
    };
    const onEarlyError = (): void => void socket.destroy();
    const onSilent = (): void => void socket.destroy(); // said nothing in time
    socket.on('data', onData);
    socket.on('error', onEarlyError);
    socket.setTimeout(this.options.headersTimeoutMs, onSilent);
  }
}
