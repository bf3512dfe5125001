import type { HttpHandler } from '../types.js';

/**
 * What a fetch handler gets as its second argument (Hono's `c.env`): a way to send 103 Early
 * Hints. `outgoing.writeEarlyHints` has the shape @hono/node-server's `c.env.outgoing` offers
 * (Node's `ServerResponse.writeEarlyHints`), so an app written for it sends its hints unchanged;
 * nothing else of Node's response is there.
 */
export interface FetchEnv {
  /** 103 Early Hints: `Link` values to preload, and any other hint headers. */
  earlyHints(links: string[], headers?: [string, string][]): Promise<void>;
  outgoing: {
    writeEarlyHints(hints: Record<string, string | string[]>, callback?: () => void): void;
  };
}

/** A WHATWG fetch handler: Hono's `app.fetch`, or anything written against the Fetch API. */
export type FetchHandler = (request: Request, env: FetchEnv) => Response | Promise<Response>;

/**
 * Runs a fetch handler as an HTTP consumer: it gets a `Request` whose body streams from the
 * server as it is read and whose `signal` aborts when the client goes away; the `Response` it
 * returns goes back as a Node server of fetch handlers would send it (see ready-body.ts).
 */
export function fromFetch(handler: FetchHandler): HttpHandler {
  return (request, ctx) => {
    const env: FetchEnv = {
      earlyHints: (links, headers) => ctx.earlyHints(links, headers),
      outgoing: {
        writeEarlyHints(hints, callback) {
          const links: string[] = [];
          const headers: [string, string][] = [];
          for (const [name, value] of Object.entries(hints)) {
            for (const one of Array.isArray(value) ? value : [value]) {
              if (name.toLowerCase() === 'link') links.push(one);
              else headers.push([name.toLowerCase(), one]);
            }
          }
          // Hints are optional: a failure loses nothing, and neither does a callback that throws.
          ctx
            .earlyHints(links, headers)
            .then(() => callback?.())
            .catch(() => {});
        },
      },
    };
    return handler(request.toRequest(), env);
  };
}
