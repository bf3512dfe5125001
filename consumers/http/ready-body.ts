/** Past this much, a ready body is streamed anyway: a response is not held whole in memory without bound. */
const MOST_BUFFERED = 8 * 1024 * 1024;

const NOT_READY = Symbol('not ready');

/** Resolves after the microtasks queued so far, and those they queue, have run. */
function afterReadyWork(): Promise<typeof NOT_READY> {
  return new Promise((resolve) => setImmediate(resolve, NOT_READY));
}

/** Streams that flow from a client (request bodies): never ready in the sense below. */
const live = new WeakSet<ReadableStream<Uint8Array>>();

/** Marks a stream that flows from a client: a response made of it streams as it flows. */
export function markLive(stream: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  live.add(stream);
  return stream;
}

export type ReadyBody = { whole: Uint8Array } | { stream: ReadableStream<Uint8Array> };

/**
 * Reads a body stream as far as it goes without waiting for its producer. A `Response` made
 * from a string, bytes or an in-memory Blob has its whole body ready (a file-backed Blob, whose
 * reads wait for the disk, may not), and then the response goes out whole,
 * with a Content-Length, as Node servers of fetch handlers (@hono/node-server) send it; a stream
 * whose producer is still at work (server-sent events, a proxied download) goes on as a stream,
 * the chunks already read first. So does a request body echoed back, however much of it came
 * with the request: it flows from the client.
 */
export async function readReady(body: ReadableStream<Uint8Array>): Promise<ReadyBody> {
  if (live.has(body)) return { stream: body };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = reader.read();
    const result = await Promise.race([next, afterReadyWork()]);
    if (result === NOT_READY) return { stream: resumed(reader, chunks, next) };
    if (result.done) return { whole: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) };
    chunks.push(result.value);
    size += result.value.length;
    if (size > MOST_BUFFERED) return { stream: resumed(reader, chunks, undefined) };
  }
}

/** The chunks read so far, then the read under way, then the rest of `reader`. */
function resumed(reader: ReadableStreamDefaultReader<Uint8Array>, read: Uint8Array[], pending: ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]> | undefined): ReadableStream<Uint8Array> {
  let next = pending;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of read) controller.enqueue(chunk);
    },
    async pull(controller) {
      const result = await (next ?? reader.read());
      next = undefined;
      if (result.done) controller.close();
      else controller.enqueue(result.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
}
