import { z } from 'zod';
import { bytes, channelName, connectionScope, headers } from './common.js';

/** First event of an HTTP request, server → worker. Later body chunks go to `body_channel`. */
export const httpRequest = z.object({
  type: z.literal('http.request'),
  ...connectionScope,
  method: z.string().min(1),
  scheme: z.enum(['http', 'https']),
  body: bytes,
  more_body: z.boolean().default(false),
  /** Where the rest of the body (and `http.disconnect`) arrives when `more_body` is true. */
  body_channel: channelName.optional(),
  extensions: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
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
  status: z.number().int().min(100).max(599),
  headers: headers.default([]),
  trailers: z.boolean().default(false),
});

export const httpResponseBody = z.object({
  type: z.literal('http.response.body'),
  body: bytes.default(() => new Uint8Array(0)),
  more_body: z.boolean().default(false),
});

/** HTTP/2 server push of `path`; the server turns it into early hints where push is not allowed. */
export const httpResponsePush = z.object({
  type: z.literal('http.response.push'),
  path: z.string().startsWith('/'),
  headers: headers.default([]),
});

/** 103 Early Hints: each entry is one `Link` header value. */
export const httpResponseEarlyHints = z.object({
  type: z.literal('http.response.early_hints'),
  links: z.array(z.string()).min(1),
});

export type HttpRequest = z.infer<typeof httpRequest>;
export type HttpRequestBody = z.infer<typeof httpRequestBody>;
export type HttpDisconnect = z.infer<typeof httpDisconnect>;
export type HttpResponseStart = z.infer<typeof httpResponseStart>;
export type HttpResponseBody = z.infer<typeof httpResponseBody>;
export type HttpResponsePush = z.infer<typeof httpResponsePush>;
export type HttpResponseEarlyHints = z.infer<typeof httpResponseEarlyHints>;
