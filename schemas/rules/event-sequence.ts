import type { WireMessage } from '../codec.js';

/**
 * The order rule of one connection's events: they go to the workers one at a time (the next
 * leaves only when the last is done), so any worker may take any event and no two handle the
 * connection at once. Also the backpressure on its client: past `limit` queued events the
 * client's socket should be paused, and resumed once the queue is down to half.
 *
 * No sockets and no layer here: the interface server's session and the test kit's communicator do
 * the sending, and tests drive this directly.
 */
/** How many times `limit` of the client's own frames may wait (see `add`). */
const CLIENT_BURST = 1024;

export class EventSequence {
  /** Made on first use: an idle connection holds no queue. */
  private queue: WireMessage[] | undefined;
  private current: WireMessage | undefined;
  private closed = false;

  constructor(private readonly limit: number) {}

  /** An event is with the workers. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** The event with the workers, if any. */
  get inProgress(): WireMessage | undefined {
    return this.current;
  }

  get waiting(): number {
    return this.queue?.length ?? 0;
  }

  /** The last event (the disconnect) is queued: nothing more is taken. */
  get ended(): boolean {
    return this.closed;
  }

  /** Nothing in progress, nothing waiting, and no more to come. */
  get finished(): boolean {
    return this.closed && this.current === undefined && this.waiting === 0;
  }

  /** Whether the client's socket should stop being read: its events are piling up. */
  get shouldPause(): boolean {
    return this.waiting >= this.limit;
  }

  /** Whether a paused socket may be read again. */
  get shouldResume(): boolean {
    return this.waiting < this.limit >> 1;
  }

  /**
   * Queues an event. False when it is refused: the sequence has ended, or too many wait. A
   * group's events are refused past twice `limit` (group delivery is at most once). The
   * client's own frames go on past that: once its socket is paused, what still comes is what
   * was read before (a socket read holds thousands of small frames), and dropping one would
   * leave a gap on an open connection. Only past CLIENT_BURST times `limit` (a client that
   * ignores the pause, which TCP makes impossible) are they refused, and the connection closes.
   */
  add(event: WireMessage, fromClient: boolean): boolean {
    if (this.closed || this.waiting >= this.limit * (fromClient ? CLIENT_BURST : 2)) return false;
    (this.queue ??= []).push(event);
    return true;
  }

  /** Queues the last event, which is always taken: nothing after it is. */
  end(event: WireMessage): void {
    if (this.closed) return;
    this.closed = true;
    (this.queue ??= []).push(event);
  }

  /** The next event to send, now in progress; undefined while one is, or none waits. */
  next(): WireMessage | undefined {
    if (this.current !== undefined || this.queue === undefined || this.queue.length === 0) return undefined;
    this.current = this.queue.shift();
    if (this.queue.length === 0) this.queue = undefined;
    return this.current;
  }

  /** The event in progress is done. False if none was. */
  done(): boolean {
    if (this.current === undefined) return false;
    this.current = undefined;
    return true;
  }

  /** Gives up on the event in progress and everything waiting (the connection failed). */
  abandon(): void {
    this.current = undefined;
    this.queue = undefined;
  }
}
