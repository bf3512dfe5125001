/**
 * The direct baseline for fetch handlers (Hono): a node:http request listener that calls the
 * handler, as `@hono/node-server` does (not installed here). The request's body streams from
 * the socket, its `signal` aborts when the client goes away before the response is done, and
 * the response body is streamed back and cancelled when the client goes away (which is what
 * fires Hono's `stream.onAbort`).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

export type FetchHandler = (request: Request) => Response | Promise<Response>;

export function nodeToFetch(handler: FetchHandler): RequestListener {
  return (req, res) => void serve(handler, req, res);
}

async function serve(handler: FetchHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('the client went away'));
  });
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
    method,
    headers,
    body: hasBody ? bodyOf(req) : null,
    signal: controller.signal,
    duplex: 'half',
  } as RequestInit);

  let response: Response;
  try {
    response = await handler(request);
  } catch {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('internal server error\n');
    return;
  }
  const flat: string[] = [];
  for (const [name, value] of response.headers) if (name !== 'set-cookie' && name !== 'transfer-encoding') flat.push(name, value);
  for (const cookie of response.headers.getSetCookie()) flat.push('set-cookie', cookie);
  res.writeHead(response.status, flat);
  if (response.body === null || method === 'HEAD') {
    await response.body?.cancel();
    res.end();
    return;
  }
  // The head goes out now (a stream may be slow to start). Not flushHeaders(): Node writes the
  // head as UTF-8 there, so a Latin-1 header value would change; an empty write sends it as Latin-1.
  res.write(Buffer.alloc(0));
  const reader = response.body.getReader();
  const cancel = (): void => void reader.cancel().catch(() => {});
  res.once('close', cancel);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drainedOrClosed(res);
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    res.off('close', cancel);
  }
}

/**
 * The request body as a WHATWG stream that touches the request only when read (high-water mark
 * 0): a body the handler never reads is left to Node, which discards it after the response so
 * the keep-alive connection can carry the next request.
 */
function bodyOf(req: IncomingMessage): ReadableStream<Uint8Array> {
  let chunks: AsyncIterator<Buffer> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
      },
      async cancel() {
        await chunks?.return?.();
      },
    },
    { highWaterMark: 0 },
  );
}

/** Waits for 'drain' or 'close', whichever comes first, and leaves no listener behind. */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
