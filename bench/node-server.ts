/**
 * The plain-Node baselines of bench/adapter.ts, one per process:
 *
 *     node --import tsx bench/node-server.ts plain|express
 *
 * `plain` answers every request 200 'hello' text/plain; `express` is http.createServer(expressApp).
 * Prints "listening on http://127.0.0.1:PORT" once it listens; SIGTERM ends it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expressApp } from './apps/express-hello.js';

const kind = process.argv[2];
const server =
  kind === 'express'
    ? http.createServer(expressApp)
    : kind === 'plain'
      ? http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('hello'))
      : undefined;
if (server === undefined) throw new Error(`usage: node-server.ts plain|express (got ${kind})`);

server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`));
process.once('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
