import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';

const channel = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a channel name: letters, digits, "-", "_", "."');
const pathPrefix = z.string().startsWith('/', 'path prefixes start with "/"');

/** Every option of the interface server, with its default. Parsed once; the inferred type is the options type. */
export const serverOptions = z.object({
  host: z.string().default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(8000),
  /** PEM certificate and key: HTTP/2 and HTTP/1.1 over TLS by ALPN. Without them: HTTP/1.1 and h2c. */
  tls: z.object({ cert: z.union([z.string(), z.instanceof(Buffer)]), key: z.union([z.string(), z.instanceof(Buffer)]) }).optional(),

  /** Where requests and WebSocket events go; `routes` send path prefixes elsewhere (longest prefix wins). */
  httpChannel: channel.default('http.request'),
  websocketChannel: channel.default('websocket'),
  routes: z.array(z.object({ prefix: pathPrefix, http: channel.optional(), websocket: channel.optional() })).default([]),
  /** Paths that take WebSockets (`/ws/chat/:room`, `/live/*`); others are refused here. Unset: any path. */
  websocketPaths: z.array(pathPrefix).optional(),
  /** Folders the server serves itself; a miss falls through to the workers. */
  static: z.array(z.object({ prefix: pathPrefix, dir: z.string().min(1) })).default([]),

  /** Proxies whose Forwarded / X-Forwarded-* headers are believed (exact addresses). Empty: none. */
  trustedProxies: z.array(z.string()).default([]),
  /** Host header values accepted (`example.com`, `.example.com` for subdomains, `*`). Others get 400. */
  allowedHosts: z.array(z.string()).default(['*']),
  /** Origin values accepted on WebSocket handshakes (`https://app.example.com`, `*`). Others get 403. */
  allowedOrigins: z.array(z.string()).default(['*']),

  limits: z
    .object({
      maxHeaderBytes: z.number().int().positive().default(16 * 1024),
      maxBodyBytes: z.number().int().positive().default(10 * 1024 * 1024),
      bodyChunkBytes: z.number().int().positive().default(64 * 1024),
      maxFrameBytes: z.number().int().positive().default(1024 * 1024),
      /** No `http.response.start` within this → 504. */
      responseTimeoutMs: z.number().int().positive().default(30_000),
      /** No response message for this long once started → the response is cut off. */
      responseIdleTimeoutMs: z.number().int().positive().default(60_000),
      /** Response body chunks a worker may send ahead of the client. */
      responseWindow: z.number().int().min(2).default(16),
      headersTimeoutMs: z.number().int().positive().default(10_000),
      requestTimeoutMs: z.number().int().positive().default(60_000),
      keepAliveTimeoutMs: z.number().int().positive().default(5_000),
      /** A connection with no traffic either way for this long is closed (slow or dead clients). */
      idleTimeoutMs: z.number().int().positive().default(120_000),
      websocketHandshakeTimeoutMs: z.number().int().positive().default(10_000),
      /**
       * A worker that has not finished a WebSocket event in this time → close 1011. Keep it above
       * the workers' consumer timeout: a live worker then always answers first (failing its
       * consumer), and only dead workers are timed out here.
       */
      websocketEventTimeoutMs: z.number().int().positive().default(35_000),
      /** Events waiting for a connection's current one to finish; past this → close 1013. */
      websocketQueueLimit: z.number().int().positive().default(64),
      /** Bytes of per-connection state (MessagePack-encoded) a consumer may keep. */
      stateMaxBytes: z.number().int().positive().default(64 * 1024),
    })
    .prefault({}),

  websocket: z
    .object({
      /** Ping idle connections this often, and drop those that miss a pong. 0: off. */
      pingIntervalMs: z.number().int().min(0).default(30_000),
      perMessageDeflate: z.boolean().default(false),
      /** WebSockets over HTTP/2 streams (RFC 8441 extended CONNECT), beside HTTP/1.1 upgrades. */
      http2: z.boolean().default(true),
    })
    .prefault({}),

  /** On shutdown, in-flight work gets this long before connections are cut. */
  shutdownTimeoutMs: z.number().int().min(0).default(10_000),
  logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null && 'child' in value).optional(),
  /** A prom-client registry to record the server's metrics on (the admin port serves it). */
  metrics: z.custom<Registry>((value) => typeof value === 'object' && value !== null && 'metrics' in value).optional(),
});

export type ServerOptions = z.infer<typeof serverOptions>;
export type ServerOptionsInput = z.input<typeof serverOptions>;
export type ServerLimits = ServerOptions['limits'];

export function parseServerOptions(input: ServerOptionsInput): ServerOptions {
  const result = serverOptions.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new TypeError(`invalid server option "${issue.path.join('.')}": ${issue.message}`);
  }
  return result.data;
}
