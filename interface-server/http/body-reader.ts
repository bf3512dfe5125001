import { setImmediate as nextTurn } from 'node:timers/promises';
import type { AnyRequest } from '../listener.js';
import { BodyTooLarge, RequestTimeout } from '../failures.js';

const EMPTY = Buffer.alloc(0);

type Step = IteratorResult<Buffer>;

/**
 * Reads a request body in chunks of at most `chunkBytes`, on demand. Nothing is read ahead of
 * `next()`: what the worker has not asked for stays in the socket, so TCP (or HTTP/2 flow
 * control) slows the client down. A chunk is what has arrived, and `more` turns false with
 * the chunk that ends the body: when nothing more is buffered, the reader waits one turn of
 * the event loop for the end, so a small body comes whole with `more: false`.
 *
 * The client has `budgetMs` (`requestTimeoutMs`) to send its body, counted only while the
 * server waits for bytes it asked for: time the server held the client back (a worker reading
 * slowly, TCP doing the rest) is not the client's slowness. Past it reads fail with
 * RequestTimeout.
 */
export class BodyReader {
  private readonly iterator: AsyncIterator<Buffer>;
  /** A read started by a peek that found nothing in its turn; the next call takes it over. */
  private pending: Promise<Step> | undefined;
  /** What did not fit in the last chunk. */
  private leftover: Buffer | undefined;
  private total = 0;
  private ended = false;
  private discarding: Promise<boolean> | undefined;
  private readonly initialBudgetMs: number;

  constructor(
    private readonly req: AnyRequest,
    private readonly maxBytes: number,
    private readonly chunkBytes: number,
    private budgetMs: number,
  ) {
    this.iterator = req[Symbol.asyncIterator]();
    this.initialBudgetMs = budgetMs;
  }

  get finished(): boolean {
    return this.ended && this.leftover === undefined;
  }

  async next(): Promise<{ body: Buffer; more: boolean }> {
    const parts: Buffer[] = [];
    let size = 0;
    const take = (piece: Buffer): void => {
      const room = this.chunkBytes - size;
      if (piece.length > room) {
        this.leftover = piece.subarray(room);
        piece = piece.subarray(0, room);
      }
      parts.push(piece);
      size += piece.length;
    };
    if (this.leftover !== undefined) {
      const piece = this.leftover;
      this.leftover = undefined;
      take(piece);
    }
    while (size < this.chunkBytes && !this.ended) {
      let step: Step | undefined;
      if (size === 0 || this.req.readableLength > 0) {
        step = await this.demand();
      } else {
        // Nothing buffered: see whether the end (or more data) arrives within this turn.
        const peek = this.read();
        step = await Promise.race([peek, nextTurn().then(() => undefined)]);
        if (step === undefined) {
          this.pending = peek;
          break;
        }
      }
      if (step.done) {
        this.ended = true;
        break;
      }
      this.total += step.value.length;
      if (this.total > this.maxBytes) throw new BodyTooLarge(`request body over ${this.maxBytes} bytes`);
      take(step.value);
    }
    const body = parts.length === 1 ? parts[0]! : parts.length === 0 ? EMPTY : Buffer.concat(parts, size);
    return { body, more: !this.finished };
  }

  /**
   * Throws away the part of the body nobody asked for (the worker answered without reading
   * it, or the body is refused), so an HTTP/1.1 connection can carry its next request or the
   * client can read its answer. Past `upTo` more bytes the request is destroyed: the connection
   * is not worth keeping. Resolves true once the body has ended, false if it was cut. Once
   * started, later calls get the same promise.
   */
  discardRest(upTo: number = this.maxBytes - this.total): Promise<boolean> {
    this.discarding ??= this.discard(upTo);
    return this.discarding;
  }

  private async discard(upTo: number): Promise<boolean> {
    if (this.finished) return true;
    this.leftover = undefined;
    // resume() would do nothing while the iterator listens for 'readable': read it out instead.
    const limit = this.total + upTo;
    try {
      for (let step = await this.demand(); !step.done; step = await this.demand()) {
        this.total += step.value.length;
        if (this.total > limit) {
          this.req.destroy();
          return false;
        }
      }
    } catch {
      // The client went away, or was too slow with the rest (RequestTimeout): the connection
      // cannot carry another request.
      this.req.destroy();
      return false;
    }
    this.ended = true;
    return true;
  }

  /** The next piece the server needs now: the wait is charged to the client's budget. */
  private async demand(): Promise<Step> {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RequestTimeout(`the client sent no more of its body within its ${this.initialBudgetMs} ms`)), Math.max(0, this.budgetMs));
    });
    try {
      return await Promise.race([this.read(), late]);
    } finally {
      clearTimeout(timer);
      this.budgetMs -= performance.now() - started;
    }
  }

  private read(): Promise<Step> {
    const step = this.pending ?? this.iterator.next();
    this.pending = undefined;
    return step;
  }
}
