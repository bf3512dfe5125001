import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { DEFAULT_RESPONSE_WINDOW, DEFAULT_STATE_MAX_BYTES, parseOptions } from '../schemas/index.js';

const channel = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'a channel name: letters, digits, "-", "_", "."');
const pathPrefix = z.string().startsWith('/', 'path prefixes start with "/"');

/**
 * Every option of the interface server, with its default. Parsed once; the inferred type is the
 * options type. Strict: a misspelt option fails instead of silently keeping its default. The
 * descriptions are the README's configuration reference (bin/config/reference.ts).
 */
export const serverOptions = z.strictObject({
  host: z.string().default('127.0.0.1').describe('address to listen on (0.0.0.0: every interface)'),
  port: z.number().int().min(0).max(65535).default(8000).describe('port to listen on (0: a free one)'),
  tls: z
    .strictObject({ cert: z.union([z.string(), z.instanceof(Buffer)]), key: z.union([z.string(), z.instanceof(Buffer)]) })
    .optional()
    .describe('PEM certificate and key: HTTP/2 and HTTP/1.1 over TLS by ALPN; without them HTTP/1.1 and h2c'),

  httpChannel: channel.default('http.request').describe('channel HTTP requests go to'),
  websocketChannel: channel.default('websocket').describe('channel WebSocket events go to'),
  routes: z
    .array(z.strictObject({ prefix: pathPrefix, http: channel.optional(), websocket: channel.optional() }))
    .default([])
    .describe('other channels by path prefix, longest prefix first: `[{ "prefix": "/api", "http": "api.http" }]`'),
  websocketPaths: z.array(pathPrefix).optional().describe('paths that take WebSockets (`/ws/chat/:room`, `/live/*`); others are refused here. In code, unset means any path'),
  websocketAcceptPaths: z
    .array(pathPrefix)
    .default([])
    .describe("WebSocket paths the server accepts at once, without waiting for a worker: the app's routes with no `connect` consumer (in an app without middleware). Their connect event still reaches a worker first"),
  static: z
    .array(z.strictObject({ prefix: pathPrefix, dir: z.string().min(1) }))
    .default([])
    .describe('folders the server serves itself: `[{ "prefix": "/static", "dir": "./public" }]`; a miss goes on to the workers'),

  trustedProxies: z.array(z.string()).default([]).describe('addresses whose Forwarded / X-Forwarded-* headers are believed'),
  allowedHosts: z.array(z.string()).min(1, 'at least one host ("*" accepts any): an empty list would refuse every request').default(['*']).describe('Host values accepted (`example.com`, `.example.com` with subdomains, `*`); others get 400'),
  allowedOrigins: z
    .array(z.string())
    .default([])
    .describe(
      "origins whose pages may open WebSockets besides the server's own (`https://app.example.com`, `http://localhost:*` for any port, `*` for any site: warned at start); others get 403. Clients that send no Origin (not browsers) are accepted",
    ),

  limits: z
    .strictObject({
      maxHeaderBytes: z.number().int().positive().default(16 * 1024).describe('request header bytes; 431 past it'),
      maxBodyBytes: z.number().int().positive().default(10 * 1024 * 1024).describe('request body bytes; 413 past it'),
      bodyChunkBytes: z.number().int().positive().default(64 * 1024).describe('size of the body chunks sent to workers'),
      maxFrameBytes: z.number().int().positive().default(1024 * 1024).describe('WebSocket message bytes; close 1009 past it'),
      responseTimeoutMs: z.number().int().positive().default(30_000).describe('no response started in time: 504'),
      responseIdleTimeoutMs: z.number().int().positive().default(60_000).describe('a started response that stalls this long is cut off'),
      responseWindow: z.number().int().min(2).default(DEFAULT_RESPONSE_WINDOW).describe('response body chunks a worker may send ahead of the client'),
      headersTimeoutMs: z.number().int().positive().default(10_000).describe('slow clients: time to send the headers'),
      requestTimeoutMs: z.number().int().positive().default(60_000).describe('slow clients: time a client may take to send the request body the server asks for (time the server holds it back for a slow worker does not count); 408 past it'),
      keepAliveTimeoutMs: z.number().int().positive().default(5_000).describe('idle HTTP/1.1 keep-alive connections close after this'),
      idleTimeoutMs: z.number().int().positive().default(120_000).describe('a connection with no traffic either way closes after this'),
      websocketHandshakeTimeoutMs: z.number().int().positive().default(10_000).describe('no accept or denial in time: 504'),
      // Above the workers' consumer timeout, a live worker always answers first (failing its
      // consumer), and only dead workers are timed out here.
      websocketEventTimeoutMs: z
        .number()
        .int()
        .positive()
        .default(35_000)
        .describe("an event not done in time: close 1011. Keep it above the workers' timeout"),
      websocketQueueLimit: z.number().int().positive().default(64).describe("events waiting for a connection's current one before its client's socket is paused; group events past twice this are dropped"),
      stateMaxBytes: z.number().int().positive().default(DEFAULT_STATE_MAX_BYTES).describe('per-connection state (MessagePack-encoded); close 1011 past it'),
    })
    .prefault({}),

  websocket: z
    .strictObject({
      pingIntervalMs: z.number().int().min(0).default(30_000).describe('ping idle connections this often and drop those that miss a pong (0: off)'),
      perMessageDeflate: z.boolean().default(false).describe('offer permessage-deflate (HTTP/1.1 upgrades)'),
      http2: z.boolean().default(true).describe('WebSockets over HTTP/2 streams (RFC 8441 extended CONNECT)'),
    })
    .prefault({}),

  shutdownTimeoutMs: z.number().int().min(0).default(10_000).describe('on shutdown, how long in-flight work may finish before connections are cut'),
  logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null && 'child' in value).optional().describe('a pino logger'),
  metrics: z
    .custom<Registry>((value) => typeof value === 'object' && value !== null && 'metrics' in value)
    .optional()
    .describe("a prom-client registry to record the server's metrics on"),
});

export type ServerOptions = z.infer<typeof serverOptions>;
export type ServerOptionsInput = z.input<typeof serverOptions>;
export type ServerLimits = ServerOptions['limits'];

export function parseServerOptions(input: ServerOptionsInput): ServerOptions {
  return parseOptions(serverOptions, input, 'server');
}
