import { z } from 'zod';
import { bytes, channelName, connectionScope, headers } from './common.js';

/**
 * First event of an HTTP request, server → worker, with the first body chunk. The rest of the
 * body, and `http.disconnect`, go to the channel the worker names in `http.request.pull`.
 */
export const httpRequest = z.object({
  type: z.literal('http.request'),
  ...connectionScope,
  method: z.string().min(1),
  scheme: z.enum(['http', 'https']),
  body: bytes,
  more_body: z.boolean().default(false),
  extensions: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  /**
   * When the client stops waiting (ms since the epoch, the server's clock): the server answers
   * 504 then, so a worker that takes the request later drops it unrun.
   */
  deadline: z.number().optional(),
});

/**
 * Worker → server: send the next `chunks` body chunks (as `http.request.body`), and
 * `http.disconnect` if the client leaves, to `channel` (normally the worker's own
 * process-specific channel). The server reads the client's socket only while it has such
 * credit: this is the request body's flow control. `chunks: 0` only asks for the disconnect.
 * The same channel receives `http.response.credit`.
 */
export const httpRequestPull = z.object({
  type: z.literal('http.request.pull'),
  channel: channelName,
  chunks: z.number().int().min(0).max(1024),
});

/** A later chunk of a streamed request body, in order. */
export const httpRequestBody = z.object({
  type: z.literal('http.request.body'),
  body: bytes,
  more_body: z.boolean().default(false),
});

/** The client went away before the response finished. */
export const httpDisconnect = z.object({
  type: z.literal('http.disconnect'),
});

export const httpResponseStart = z.object({
  type: z.literal('http.response.start'),
  /** Informational (1xx) answers go through `http.response.early_hints`. */
  status: z.number().int().min(200).max(599),
  headers: headers.default([]),
  trailers: z.boolean().default(false),
});

/**
 * Worker → server: a whole response in one message, the same as `http.response.start`
 * followed by one `http.response.body` without `more_body`. Most responses are whole when the
 * app returns them; one message instead of two halves what each side spends on the answer.
 */
export const httpResponse = z.object({
  type: z.literal('http.response'),
  status: z.number().int().min(200).max(599),
  headers: headers.default([]),
  body: bytes.default(() => new Uint8Array(0)),
});

export const httpResponseBody = z.object({
  type: z.literal('http.response.body'),
  body: bytes.default(() => new Uint8Array(0)),
  more_body: z.boolean().default(false),
});

/**
 * Worker → server: the response cannot be completed (the app failed mid-stream). The server
 * cuts it off (connection reset / stream reset) so the client never takes a truncated body
 * for a whole one; before `http.response.start` it answers 500.
 */
export const httpResponseAbort = z.object({
  type: z.literal('http.response.abort'),
  reason: z.string().max(200).default(''),
});

/**
 * The `extensions["http.response.window"].chunks` a server offers unless configured otherwise
 * (`limits.responseWindow`), and what a worker assumes when a request announces none.
 */
export const DEFAULT_RESPONSE_WINDOW = 16;

/**
 * Server → worker (to the channel of `http.request.pull`): the response may carry `chunks`
 * more `http.response.body` messages. A worker starts with the window the request announced
 * in `extensions["http.response.window"].chunks` and gets credit back as the client takes the
 * bytes, so a slow client slows the worker instead of filling buffers.
 */
export const httpResponseCredit = z.object({
  type: z.literal('http.response.credit'),
  chunks: z.number().int().positive(),
});

/** HTTP/2 server push of `path`; the server turns it into early hints where push is not allowed. */
export const httpResponsePush = z.object({
  type: z.literal('http.response.push'),
  path: z.string().startsWith('/'),
  headers: headers.default([]),
});

/** 103 Early Hints: each entry of `links` is one `Link` header value; `headers` are any others. */
export const httpResponseEarlyHints = z.object({
  type: z.literal('http.response.early_hints'),
  links: z.array(z.string()).min(1),
  headers: headers.default([]),
});

export type HttpRequest = z.infer<typeof httpRequest>;
export type HttpRequestBody = z.infer<typeof httpRequestBody>;
export type HttpDisconnect = z.infer<typeof httpDisconnect>;
export type HttpRequestPull = z.infer<typeof httpRequestPull>;
export type HttpResponseCredit = z.infer<typeof httpResponseCredit>;
export type HttpResponseAbort = z.infer<typeof httpResponseAbort>;
export type HttpResponseStart = z.infer<typeof httpResponseStart>;
export type HttpResponse = z.infer<typeof httpResponse>;
export type HttpResponseBody = z.infer<typeof httpResponseBody>;
export type HttpResponsePush = z.infer<typeof httpResponsePush>;
export type HttpResponseEarlyHints = z.infer<typeof httpResponseEarlyHints>;
