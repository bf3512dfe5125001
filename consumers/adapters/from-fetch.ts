import type { HttpHandler } from '../types.js';

/** A WHATWG fetch handler: Hono's `app.fetch`, or anything written against the Fetch API. */
export type FetchHandler = (request: Request) => Response | Promise<Response>;

/**
 * Runs a fetch handler as an HTTP consumer: it gets a `Request` whose body streams from the
 * server as it is read and whose `signal` aborts when the client goes away; the `Response` it
 * returns streams back chunk by chunk.
 */
export function fromFetch(handler: FetchHandler): HttpHandler {
  return (request) => handler(request.toRequest());
}
