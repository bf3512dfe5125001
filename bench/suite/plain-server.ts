/**
 * The plain-Node baselines of bench/suite.ts: the same work as bench/apps/suite-app.ts, with
 * no hop. One per process, forked by the suite:
 *
 *     node --import tsx bench/suite/plain-server.ts http|h2c
 *
 * - `http`: node:http, `GET /hello` → 200 'hello'; a `ws` WebSocketServer on its upgrades:
 *   `/ws/echo` echoes, `/ws/room` members get every message any `/ws/control` connection sends.
 * - `h2c`: node:http2 without TLS (prior knowledge), `GET /hello` → 200 'hello'.
 *
 * Prints "listening on http://127.0.0.1:PORT" once it listens; exits on SIGTERM or when the
 * suite goes away (its IPC channel closes).
 */
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const TYPE = { 'content-type': 'text/plain; charset=utf-8' };

function hello(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void {
  if (req.method === 'GET' && req.url === '/hello') res.writeHead(200, TYPE).end('hello');
  else res.writeHead(404, TYPE).end('not found');
}

function httpServer(): http.Server {
  const server = http.createServer(hello);
  // The interface server's settings: no compression, 1 MiB frames, no tracking set.
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: 1 << 20 });
  const room = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const path = req.url?.split('?')[0];
    if (path !== '/ws/echo' && path !== '/ws/room' && path !== '/ws/control') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      if (path === '/ws/echo') {
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      } else if (path === '/ws/room') {
        room.add(ws);
        ws.once('close', () => room.delete(ws));
      } else {
        ws.on('message', (data) => {
          const text = data.toString();
          for (const member of room) member.send(text);
        });
      }
    });
  });
  return server;
}

const kind = process.argv[2];
const server = kind === 'http' ? httpServer() : kind === 'h2c' ? http2.createServer(hello) : undefined;
if (server === undefined) throw new Error(`usage: plain-server.ts http|h2c (got ${kind})`);
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`));
process.once('SIGTERM', () => process.exit(0));
process.once('disconnect', () => process.exit(0));
