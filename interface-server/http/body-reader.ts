import type { AnyRequest } from '../listener.js';
import { BodyTooLarge } from '../failures.js';

const EMPTY = Buffer.alloc(0);

/**
 * Reads a request body in chunks, on demand. Nothing is read ahead of `next()`: what the
 * worker has not asked for stays in the socket, so TCP (or HTTP/2 flow control) slows the
 * client down. A chunk is whatever has arrived, up to about `chunkBytes`; `more` turns
 * false with the chunk that ends the body.
 */
export class BodyReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private total = 0;
  private ended = false;

  constructor(
    private readonly req: AnyRequest,
    private readonly maxBytes: number,
    private readonly chunkBytes: number,
  ) {
    this.iterator = req[Symbol.asyncIterator]();
  }

  get finished(): boolean {
    return this.ended;
  }

  async next(): Promise<{ body: Buffer; more: boolean }> {
    if (this.ended) return { body: EMPTY, more: false };
    const parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      const step = await this.iterator.next();
      if (step.done) {
        this.ended = true;
        break;
      }
      parts.push(step.value);
      size += step.value.length;
      this.total += step.value.length;
      if (this.total > this.maxBytes) throw new BodyTooLarge(`request body over ${this.maxBytes} bytes`);
      if (size >= this.chunkBytes) break;
      // Take what is already buffered; stop when waiting would be needed, unless only the
      // end is left (then the next step returns at once and `more` can be false).
      if (this.req.readableLength === 0 && !this.req.complete) break;
    }
    const body = parts.length === 1 ? parts[0]! : parts.length === 0 ? EMPTY : Buffer.concat(parts, size);
    return { body, more: !this.ended };
  }
}
