/**
 * A plain Node `(req, res)` handler under /plain whose failures the adapter must contain: a
 * synchronous throw, a rejected promise, and a rejection after the response has started.
 * (Served directly by node:http, each would crash the process; through switchyard each is the
 * adapter's 500, or a cut-off response, with a log line naming the route.)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export default function plain(req: IncomingMessage, res: ServerResponse): unknown {
  const path = new URL(req.url ?? '/', 'http://plain.invalid').pathname;
  switch (path) {
    case '/plain/ok':
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('plain ok');
      return undefined;
    case '/plain/sync-error':
      throw new Error('sync plain failure');
    case '/plain/async-error':
      return (async () => {
        await nextTurn();
        throw new Error('async plain failure');
      })();
    case '/plain/mid-stream-error':
      return (async () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('partial\n');
        await nextTurn();
        throw new Error('mid-stream plain failure');
      })();
    default:
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no such plain route');
      return undefined;
  }
}
