import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AnyResponse } from '../listener.js';
import type { BodyReader } from './body-reader.js';
import { sendPlain } from './respond.js';

/** How long, and how many more bytes, an oversized body is read and thrown away at most. */
const LINGER_MS = 5_000;
const LINGER_BYTES = 256 * 1024 * 1024;
const REASON = 'request body too large';

/**
 * 413 for a body over `maxBodyBytes`, in a way the client can read. Closing an HTTP/1.1
 * connection with the client's bytes still unread makes the kernel reset it, and a client that
 * sends its whole body before reading (most simple ones) then gets EPIPE and no status line.
 * So the 413 goes out at once with `Connection: close` (a client that reads while it sends,
 * like curl, stops early), the rest of the body is read and thrown away, and only then does the
 * server close the connection: at most LINGER_MS and LINGER_BYTES later. Not even its own side
 * closes before: many clients (Node's sockets among them) stop sending once they see the
 * server's FIN, and fail their writes. On HTTP/2 only the stream is refused: the others on the
 * connection are not disturbed.
 */
export function refuseOversizedBody(res: AnyResponse, body: BodyReader): void {
  if (res.req.httpVersion === '2.0') return sendPlain(res, 413, REASON);
  const socket = (res as ServerResponse).socket;
  if (socket === null || socket.destroyed) return;
  // Node ends a `Connection: close` response with socket.destroySoon(): end, then destroy as
  // soon as written, which resets the connection while the body still comes in. Here the
  // socket is ended once the body is drained, or a bound passes.
  (socket as Socket & { destroySoon(): void }).destroySoon = noop;
  const cut = setTimeout(() => socket.destroy(), LINGER_MS);
  cut.unref();
  void body.discardRest(LINGER_BYTES).then(() => {
    clearTimeout(cut);
    socket.end();
    if (socket.writableFinished) socket.destroy();
    else socket.once('finish', () => socket.destroy());
  });
  sendPlain(res, 413, REASON, { connection: 'close' });
}


/**
 * 408: the client took longer than `requestTimeoutMs` to send body bytes the server was waiting
 * for. The rest is not worth waiting for: on HTTP/1.1 the connection closes once the answer is
 * out; on HTTP/2 only the stream ends.
 */
export function refuseSlowBody(res: AnyResponse): void {
  if (res.req.httpVersion === '2.0') return sendPlain(res, 408, 'request timeout');
  sendPlain(res, 408, 'request timeout', { connection: 'close' });
  res.once('finish', () => res.req.socket.destroy());
}

function noop(): void {}
