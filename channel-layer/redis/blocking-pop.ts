import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { RedisClient } from './connection.js';

/** `[list key, envelopes]` as BLMPOP returns them. */
export type Popped = [key: string, elements: Buffer[]];

/** A blocking reader of lists: what the layer's receives and its inbox reader hold. */
export interface Popper {
  /** Connected now. */
  readonly ready: boolean;
  /** Closed for good. */
  readonly ended: boolean;
  /** Resolves once connected (or `signal` aborts). */
  whenReady(signal: AbortSignal): Promise<void>;
  /**
   * Pops up to `max` envelopes from the first of `keys` (all of one hash slot) that has some.
   * `onWaiting` is called when the pop has been sent on a connected connection.
   */
  pop(keys: readonly string[], max: number, signal: AbortSignal, onWaiting?: () => void): Promise<Popped | null>;
  disconnect(): void;
}

/**
 * One connection dedicated to blocking pops (a blocked connection can do nothing else).
 * A pop is cancelled with CLIENT UNBLOCK from the command connection, never by dropping the
 * socket: if the pop had already taken messages, they still arrive and the caller puts them
 * back, so cancelling loses nothing.
 */
export class BlockingPop implements Popper {
  private clientId: Promise<number | undefined> | undefined;

  constructor(
    readonly redis: Redis,
    private readonly control: RedisClient,
  ) {
    redis.on('ready', () => {
      this.clientId = (redis.client('ID') as Promise<number>).catch(() => undefined);
    });
  }

  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  get ended(): boolean {
    return this.redis.status === 'end';
  }

  async whenReady(signal: AbortSignal): Promise<void> {
    await once(this.redis, 'ready', { signal }).catch(() => {});
  }

  /**
   * BLMPOP with no timeout; resolves null when cancelled before anything was taken. A new
   * connection is waited for (its first connect), a lost one fails the pop at once.
   */
  async pop(keys: readonly string[], max: number, signal: AbortSignal, onWaiting?: () => void): Promise<Popped | null> {
    if (this.redis.status === 'wait' || this.redis.status === 'connecting' || this.redis.status === 'connect') {
      // A connection that fails reconnects or, if it may not (a cluster pop's), ends.
      const connected = once(this.redis, 'ready', { signal });
      const failed = once(this.redis, 'reconnecting', { signal });
      const ended = once(this.redis, 'end', { signal });
      await Promise.race([connected, failed, ended]).catch(() => {});
      for (const pending of [connected, failed, ended]) pending.catch(() => {});
      signal.throwIfAborted();
    }
    const pending = this.redis.callBuffer('BLMPOP', 0, keys.length, ...keys, 'LEFT', 'COUNT', max) as Promise<
      [Buffer, Buffer[]] | null
    >;
    if (this.redis.status === 'ready') onWaiting?.();
    const cancel = (): void => void this.unblock(pending);
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
    try {
      const reply = await pending;
      return reply === null ? null : [reply[0].toString(), reply[1]];
    } finally {
      signal.removeEventListener('abort', cancel);
    }
  }

  /**
   * CLIENT UNBLOCK answers 0 when the pop has not reached Redis yet (or already returned), so
   * it is repeated, with backoff, until the pop settles.
   */
  private async unblock(pending: Promise<unknown>): Promise<void> {
    let settled = false;
    pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (let delay = 1; !settled; delay = Math.min(delay * 2, 50)) {
      const id = await this.clientId;
      if (settled) return;
      try {
        if (id === undefined) throw new Error('no client id'); // never connected: nothing to unblock by id
        if ((await this.control.client('UNBLOCK', id)) === 1) return;
      } catch {
        // The pop cannot be cancelled from outside (the control connection is gone): end its own
        // connection, so it fails now instead of blocking for ever on a socket that may still live.
        this.redis.disconnect();
        return;
      }
      await sleep(delay);
    }
  }

  disconnect(): void {
    this.redis.disconnect();
  }
}
