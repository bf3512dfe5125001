import { headerPairs, type HeadersInit } from './headers.js';

export type Body = string | Uint8Array | AsyncIterable<string | Uint8Array> | ReadableStream<Uint8Array> | null;

export interface ResponseOptions {
  status?: number;
  headers?: HeadersInit;
}

/** Marks responses across copies of this package (an app may load another copy than the worker). */
const RESPONSE_BRAND = Symbol.for('switchyard.response');

/** A response as consumers build it with the helpers below. */
export class HttpResponse {
  readonly [RESPONSE_BRAND] = true;
  constructor(
    readonly status: number,
    readonly headers: [string, string][],
    readonly body: Body,
  ) {}
}

/**
 * What an HTTP consumer may return: a helper's response, a WHATWG `Response`, a string
 * (text/plain) or bytes (application/octet-stream).
 */
export type ResponseLike = HttpResponse | Response | string | Uint8Array;

function withType(options: ResponseOptions | undefined, type: string): [string, string][] {
  const headers = headerPairs(options?.headers);
  if (!headers.some(([name]) => name === 'content-type')) headers.unshift(['content-type', type]);
  return headers;
}

export function text(body: string, options?: ResponseOptions): HttpResponse {
  return new HttpResponse(options?.status ?? 200, withType(options, 'text/plain; charset=utf-8'), body);
}

export function html(body: string, options?: ResponseOptions): HttpResponse {
  return new HttpResponse(options?.status ?? 200, withType(options, 'text/html; charset=utf-8'), body);
}

export function json(value: unknown, options?: ResponseOptions): HttpResponse {
  return new HttpResponse(options?.status ?? 200, withType(options, 'application/json'), JSON.stringify(value));
}

/**
 * A body sent chunk by chunk as the iterable yields (server-sent events, large files). A
 * ReadableStream whose every chunk is there at once goes whole, with a Content-Length.
 */
export function stream(body: AsyncIterable<string | Uint8Array> | ReadableStream<Uint8Array>, options?: ResponseOptions): HttpResponse {
  return new HttpResponse(options?.status ?? 200, withType(options, 'application/octet-stream'), body);
}

/** Any status, headers and body. */
export function respond(body: Body = null, options?: ResponseOptions): HttpResponse {
  return new HttpResponse(options?.status ?? 200, headerPairs(options?.headers), body);
}

export function redirect(location: string, status = 302): HttpResponse {
  return new HttpResponse(status, [['location', location]], null);
}

/**
 * A Response's headers as Node servers of fetch handlers send them. The Fetch standard's
 * `new Response(string)` types the body `text/plain;charset=UTF-8`; @hono/node-server, and Node
 * servers generally, write `text/plain; charset=UTF-8`. The two mean the same; an app moved over
 * keeps the spelling its clients (and their tests) already see.
 */
function fetchHeaders(headers: globalThis.Headers): [string, string][] {
  const pairs = headerPairs(headers);
  for (const pair of pairs) if (pair[0] === 'content-type' && pair[1] === 'text/plain;charset=UTF-8') pair[1] = 'text/plain; charset=UTF-8';
  return pairs;
}

export function toHttpResponse(value: ResponseLike): HttpResponse {
  if (typeof value === 'object' && value !== null && (value as unknown as Record<symbol, unknown>)[RESPONSE_BRAND] === true) {
    return value as HttpResponse;
  }
  if (typeof value === 'string') return text(value);
  if (value instanceof Uint8Array) return new HttpResponse(200, [['content-type', 'application/octet-stream']], value);
  if (value instanceof Response) return new HttpResponse(value.status, fetchHeaders(value.headers), value.body);
  throw new TypeError('an HTTP consumer must return a response: text(), json(), stream(), respond(), a Response, a string or bytes');
}
