import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import type { ChannelLayer } from '../channel-layer/index.js';
import { routeTable, type ServerContext } from './context.js';
import { Backlog } from './http/backlog.js';
import { handleRequest } from './http/handle-request.js';
import { headerListSize } from './http/header-limit.js';
import { sendPlain } from './http/respond.js';
import { InFlight } from './in-flight.js';
import { Listener, type AnyRequest, type AnyResponse } from './listener.js';
import { ServerMetrics } from './metrics.js';
import { parseServerOptions, type ServerOptions, type ServerOptionsInput } from './options.js';
import { normalizeAddress } from './proxy.js';
import { sortMounts } from './static-files.js';
import { denyUpgrade } from './websocket/deny.js';
import { handleConnect, handleUpgrade, type UpgradeContext } from './websocket/handle-upgrade.js';
import { PathMatcher } from './websocket/paths.js';
import type { WebSocketSession } from './websocket/session.js';
import { Upgrader } from './websocket/upgrader.js';

/**
 * The interface server: holds the sockets and nothing else. Every HTTP request and WebSocket
 * event becomes a message on the layer; every answer comes back on a process-specific channel.
 */
export class InterfaceServer {
  readonly options: ServerOptions;
  readonly logger: Logger;
  private readonly ctx: ServerContext;
  private readonly listener: Listener;
  private readonly sessions = new Set<WebSocketSession>();
  private readonly upgrades: UpgradeContext;
  private keepAlive: NodeJS.Timeout | undefined;
  private closing: Promise<void> | undefined;
  private bound: { host: string; port: number } | undefined;
  private own: string | undefined;
  /** Whether the info-level access log is on: when it is not, no log object is built per request. */
  private readonly accessLog: boolean;

  constructor(layer: ChannelLayer, input: ServerOptionsInput = {}) {
    this.options = parseServerOptions(input);
    this.logger = this.options.logger ?? pino({ name: 'switchyard-server' });
    this.accessLog = this.logger.isLevelEnabled('info');
    this.ctx = {
      layer,
      options: this.options,
      logger: this.logger,
      trustedProxies: new Set(this.options.trustedProxies.map(normalizeAddress)),
      channelFor: routeTable(this.options),
      staticMounts: sortMounts(this.options.static),
      metrics: undefined,
      inFlight: new InFlight(),
      backlog: new Backlog(this.options.limits.responseTimeoutMs, this.logger),
    };
    if (this.options.metrics) this.ctx.metrics = new ServerMetrics(this.options.metrics, () => this.sessions.size);
    this.upgrades = {
      ctx: this.ctx,
      upgrader: new Upgrader(this.options),
      paths: new PathMatcher(this.options.websocketPaths),
      acceptAtOnce: new PathMatcher(this.options.websocketAcceptPaths),
      sessions: this.sessions,
      onEnded: (session) => {
        this.sessions.delete(session);
        this.ctx.inFlight.end();
      },
    };
    const { limits } = this.options;
    this.listener = new Listener(
      {
        host: this.options.host,
        port: this.options.port,
        tls: this.options.tls,
        maxHeaderBytes: limits.maxHeaderBytes,
        headersTimeoutMs: limits.headersTimeoutMs,
        keepAliveTimeoutMs: limits.keepAliveTimeoutMs,
        idleTimeoutMs: limits.idleTimeoutMs,
        enableConnectProtocol: this.options.websocket.http2,
      },
      {
        request: (req, res) => this.onRequest(req, res),
        upgrade: (req, socket, head) => this.onUpgrade(req, socket, head),
        connect: (req, res) => this.onConnect(req, res),
      },
    );
  }

  async listen(): Promise<{ host: string; port: number }> {
    this.bound = await this.listener.listen();
    // A channel of its own starts this process's heartbeat from the start, not from its first
    // connection: `switchyard status` counts live servers.
    this.own = await this.ctx.layer.newChannel('server');
    // Ask once about every channel requests can go to, so the layer's view of who takes them
    // is there before the first request (which gets 503 at once if nobody does).
    const { httpChannel, websocketChannel, routes } = this.options;
    for (const channel of [httpChannel, websocketChannel, ...routes.flatMap((r) => [r.http, r.websocket])]) if (channel !== undefined) this.ctx.layer.hasReceivers(channel);
    const every = this.options.websocket.pingIntervalMs;
    if (every > 0) {
      this.keepAlive = setInterval(() => {
        for (const session of this.sessions) session.ping();
      }, every);
      this.keepAlive.unref();
    }
    if (this.options.allowedOrigins.includes('*')) {
      this.logger.warn('allowedOrigins "*": pages of any site may open WebSockets here with their visitors\' cookies (cross-site WebSocket hijacking); list your sites instead');
    }
    this.logger.info({ ...this.bound, tls: this.options.tls !== undefined }, `listening on ${this.url}`);
    return this.bound;
  }

  get url(): string {
    if (this.bound === undefined) throw new Error('the server is not listening');
    const host = this.bound.host.includes(':') ? `[${this.bound.host}]` : this.bound.host;
    return `${this.options.tls ? 'https' : 'http'}://${host}:${this.bound.port}`;
  }

  /** Open WebSocket connections (for tests and metrics). */
  get connections(): number {
    return this.sessions.size;
  }

  /**
   * Graceful shutdown: stop accepting, close WebSockets with 1001, let in-flight requests
   * finish until `shutdownTimeoutMs`, then cut whatever is left.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    clearInterval(this.keepAlive);
    const stopped = this.listener.stopAccepting();
    for (const session of this.sessions) session.shutdown();
    await Promise.race([this.ctx.inFlight.idle(), sleep(this.options.shutdownTimeoutMs, undefined, { ref: false })]);
    if (this.ctx.inFlight.size > 0) this.logger.warn({ left: this.ctx.inFlight.size }, 'shutdown deadline passed, cutting connections');
    this.listener.destroyAll();
    await stopped;
    if (this.own !== undefined) this.ctx.layer.releaseChannel(this.own);
  }

  private onRequest(req: AnyRequest, res: AnyResponse): void {
    if (this.closing !== undefined && req.httpVersion !== '2.0') res.setHeader('connection', 'close');
    // One access-log line and the metrics per response, whoever answered it (the server
    // itself, static files, a worker); shutdown waits for the response to close.
    const started = performance.now();
    const { inFlight, metrics } = this.ctx;
    inFlight.begin();
    res.on('close', () => {
      inFlight.end();
      const status = res.writableFinished ? res.statusCode : 'aborted';
      const ms = performance.now() - started;
      const protocol = req.httpVersion === '2.0' ? 'h2' : 'http1';
      metrics?.answered(protocol, status, ms / 1000);
      if (this.accessLog) this.logger.info({ method: req.method, path: req.url, protocol, status: String(status), ms: Math.round(ms * 10) / 10, client: req.socket?.remoteAddress }, 'request');
    });
    if (this.headersTooLarge(req)) return sendPlain(res, 431, 'request header fields too large');
    try {
      handleRequest(this.ctx, req, res)?.catch((error: unknown) => this.failedInServer(error, req, res));
    } catch (error) {
      this.failedInServer(error, req, res);
    }
  }

  private failedInServer(error: unknown, req: AnyRequest, res: AnyResponse): void {
    this.logger.error({ err: error, path: req.url }, 'request failed in the server');
    if (!res.headersSent) sendPlain(res, 500, 'internal server error');
    else res.destroy();
  }

  /** HTTP/2 only: Node's HTTP/1.1 parser has already answered 431 to those. */
  private headersTooLarge(req: AnyRequest): boolean {
    return req.httpVersion === '2.0' && headerListSize(req.rawHeaders) > this.options.limits.maxHeaderBytes;
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.closing !== undefined) return denyUpgrade(socket, 503, 'server shutting down');
    try {
      handleUpgrade(this.upgrades, req, socket, head);
    } catch (error) {
      this.logger.error({ err: error, path: req.url }, 'websocket failed in the server');
      socket.destroy();
    }
  }

  private onConnect(req: Http2ServerRequest, res: Http2ServerResponse): void {
    if (this.closing !== undefined) return sendPlain(res, 503, 'server shutting down');
    if (this.headersTooLarge(req)) return sendPlain(res, 431, 'request header fields too large');
    try {
      handleConnect(this.upgrades, req, res);
    } catch (error) {
      this.logger.error({ err: error, path: req.url }, 'websocket failed in the server');
      req.stream.destroy();
    }
  }
}
