import type { Delivery, WireMessage } from './contract.js';
import { systemClock, type Clock } from './clock.js';
import { Deque } from './deque.js';

interface Queued {
  sentAt: number;
  message: WireMessage;
  group: string | undefined;
}

/**
 * One pending `wait`. It is its own abort listener (an EventListener object), so waiting
 * allocates this and the promise, nothing more.
 */
class Waiter {
  constructor(
    private readonly owner: LocalChannels,
    readonly channels: readonly string[],
    readonly max: number,
    readonly signal: AbortSignal | undefined,
    readonly tag: unknown,
    readonly resolve: (deliveries: Delivery[]) => void,
    readonly reject: (error: unknown) => void,
  ) {}

  handleEvent(): void {
    this.owner.forget(this);
    this.reject(this.signal!.reason);
  }
}

/**
 * Channels held in this process's memory, with receivers waiting on them. It backs every
 * channel of the in-memory layer and the process-specific channels of the Redis layer.
 *
 * Waiting is event-driven: `push` hands messages straight to the longest-waiting receiver of
 * that channel. Expired messages are dropped when met, never handed out.
 */
export class LocalChannels {
  private readonly queues = new Map<string, Deque<Queued>>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private rotation = 0;

  constructor(
    private readonly expiryMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Unexpired messages queued on `channel`. */
  depth(channel: string, now = this.clock()): number {
    const queue = this.queues.get(channel);
    if (queue === undefined) return 0;
    this.dropExpired(queue, now);
    return queue.length;
  }

  /** Queues a message unless `capacity` unexpired ones are already there; false when full. */
  push(channel: string, message: WireMessage, sentAt: number, capacity: number, group?: string): boolean {
    let queue = this.queues.get(channel);
    if (queue === undefined) {
      queue = new Deque();
      this.queues.set(channel, queue);
    } else if (queue.length >= capacity) {
      this.dropExpired(queue, this.clock());
      if (queue.length >= capacity) return false;
    }
    queue.push({ sentAt, message, group });
    this.wake(channel);
    return true;
  }

  /** Takes up to `max` unexpired messages, visiting channels in rotating order for fairness. */
  take(channels: readonly string[], max: number): Delivery[] {
    const deliveries: Delivery[] = [];
    const now = this.clock();
    const start = this.rotation++ % channels.length;
    for (let i = 0; i < channels.length && deliveries.length < max; i++) {
      const channel = channels[(start + i) % channels.length]!;
      const queue = this.queues.get(channel);
      if (queue === undefined) continue;
      this.dropExpired(queue, now);
      while (queue.length > 0 && deliveries.length < max) {
        const { message, group } = queue.shift()!;
        deliveries.push(group === undefined ? { channel, message } : { channel, message, group });
      }
      if (queue.length === 0) this.queues.delete(channel);
    }
    return deliveries;
  }

  /**
   * Resolves with messages as soon as one arrives on any of `channels`. `tag` marks the
   * waiter for `rejectTagged` (the layer instance that waits, when several share a store).
   */
  wait(channels: readonly string[], max: number, signal?: AbortSignal, tag?: unknown): Promise<Delivery[]> {
    return new Promise<Delivery[]>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter = new Waiter(this, channels, max, signal, tag, resolve, reject);
      signal?.addEventListener('abort', waiter, { once: true });
      for (const channel of channels) {
        let set = this.waiters.get(channel);
        if (set === undefined) this.waiters.set(channel, (set = new Set()));
        set.add(waiter);
      }
    });
  }

  /** Takes a waiter off its channels (it was answered, aborted or rejected). */
  forget(waiter: Waiter): void {
    waiter.signal?.removeEventListener('abort', waiter);
    for (const channel of waiter.channels) {
      const set = this.waiters.get(channel);
      set?.delete(waiter);
      if (set?.size === 0) this.waiters.delete(channel);
    }
  }

  /**
   * Puts taken messages back at the front of their channels, in order (a receive that was
   * cancelled after it took them). They count as sent now for expiry.
   */
  restore(deliveries: readonly Delivery[]): void {
    const now = this.clock();
    for (let i = deliveries.length - 1; i >= 0; i--) {
      const { channel, message, group } = deliveries[i]!;
      let queue = this.queues.get(channel);
      if (queue === undefined) this.queues.set(channel, (queue = new Deque()));
      queue.unshift({ sentAt: now, message, group });
    }
    for (const channel of new Set(deliveries.map((d) => d.channel))) this.wake(channel);
  }

  /** Drops a channel's queue; its waiters keep waiting (they may wait on other channels too). */
  drop(channel: string): void {
    this.queues.delete(channel);
  }

  /** Rejects every waiter, e.g. when the layer loses its backing store. */
  rejectAll(error: unknown): void {
    this.rejectTagged(undefined, error);
  }

  /** Rejects the waiters with `tag` (all of them for undefined), e.g. those of a layer that closes. */
  rejectTagged(tag: unknown, error: unknown): void {
    const all = new Set<Waiter>();
    for (const set of this.waiters.values()) for (const waiter of set) if (tag === undefined || waiter.tag === tag) all.add(waiter);
    for (const waiter of all) {
      this.forget(waiter);
      waiter.reject(error);
    }
  }

  clear(): void {
    this.queues.clear();
  }

  private wake(channel: string): void {
    const set = this.waiters.get(channel);
    if (set === undefined) return;
    for (const waiter of set) {
      const deliveries = this.take(waiter.channels, waiter.max);
      if (deliveries.length === 0) return;
      this.forget(waiter);
      waiter.resolve(deliveries);
      if (!this.queues.has(channel)) return;
    }
  }

  private dropExpired(queue: Deque<Queued>, now: number): void {
    const oldest = now - this.expiryMs;
    while (queue.length > 0 && queue.peek()!.sentAt < oldest) queue.shift();
  }
}
