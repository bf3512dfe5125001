import { Deque } from './deque.js';

/** Something with a deadline: `expire` runs once it has passed. */
export interface Expiring {
  expire(): void;
}

/** The deadlines of one duration, in buckets of one tick each: set in time order, so a FIFO. */
interface Lane {
  buckets: Deque<{ time: number; items: Set<Expiring> }>;
}

/**
 * One clock per process for the deadlines of exchanges, WebSocket events and consumers, in
 * place of a `setTimeout` each: deadlines fall into buckets of `tickMs`, and one timer waits
 * for the earliest bucket. Setting and cancelling a deadline allocate nothing past a bucket
 * per tick; a deadline fires at most one tick late, never early.
 *
 * As in Node's own timers, deadlines of one duration share a lane: each new one is the latest
 * of its lane, so setting one is O(1) whatever else is pending, and the timer looks only at
 * the heads of the few lanes (one per timeout setting in use).
 *
 * The timer does not keep the process alive: what a deadline guards (a socket, a pending
 * message) does that.
 */
export class DeadlineWheel {
  private readonly lanes = new Map<number, Lane>();
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  constructor(
    private readonly tickMs = 25,
    private readonly onError: (error: unknown) => void = (error) => queueMicrotask(() => { throw error; }),
  ) {}

  /** Arms `item` to expire `ms` from now; the returned handle cancels it. */
  set(item: Expiring, ms: number): number {
    const time = Math.ceil((Date.now() + ms) / this.tickMs) * this.tickMs;
    let lane = this.lanes.get(ms);
    if (lane === undefined) this.lanes.set(ms, (lane = { buckets: new Deque() }));
    let bucket = lane.buckets.peekLast();
    if (bucket === undefined || bucket.time < time) {
      lane.buckets.push((bucket = { time, items: new Set() }));
      if (time < this.armedFor) this.arm(time);
    }
    bucket.items.add(item);
    return encodeHandle(ms, time, this.tickMs);
  }

  /** Disarms a deadline from `set` (a handle of 0 is none); an emptied bucket goes at its tick. */
  cancel(item: Expiring, handle: number): void {
    if (handle === 0) return;
    const buckets = this.lanes.get(handleMs(handle))?.buckets;
    if (buckets === undefined) return;
    const time = handleTime(handle, this.tickMs);
    // The bucket is near the tail nearly always (a deadline is cancelled soon after it is set).
    for (let i = buckets.length - 1; i >= 0; i--) {
      const bucket = buckets.at(i)!;
      if (bucket.time === time) {
        bucket.items.delete(item);
        return;
      }
      if (bucket.time < time) return;
    }
  }

  private arm(time: number): void {
    clearTimeout(this.timer);
    this.armedFor = time;
    this.timer = setTimeout(this.fire, Math.max(1, time - Date.now()));
    this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [ms, lane] of this.lanes) {
      const buckets = lane.buckets;
      while (buckets.length > 0 && buckets.peek()!.time <= now) {
        for (const item of buckets.shift()!.items) {
          try {
            item.expire();
          } catch (error) {
            this.onError(error);
          }
        }
      }
      if (buckets.length === 0) this.lanes.delete(ms);
      else next = Math.min(next, buckets.peek()!.time);
    }
    if (next !== Infinity && next < this.armedFor) this.arm(next);
  };
}

/*
 * A handle names a deadline's lane and bucket in one number, so that holders keep a number
 * and not an object: the bucket's time in ticks (about 2^36 for 25 ms ticks) times DURATIONS,
 * plus the index of the lane's duration in a table of the durations seen (a few settings).
 */
const durations: number[] = [];
const DURATIONS = 1024;

function encodeHandle(ms: number, time: number, tickMs: number): number {
  let index = durations.indexOf(ms);
  if (index === -1) {
    if (durations.length === DURATIONS) throw new RangeError(`more than ${DURATIONS} distinct deadline durations`);
    index = durations.push(ms) - 1;
  }
  return (time / tickMs) * DURATIONS + index;
}

function handleMs(handle: number): number {
  return durations[handle % DURATIONS]!;
}

function handleTime(handle: number, tickMs: number): number {
  return Math.floor(handle / DURATIONS) * tickMs;
}

/** The process's one clock. */
export const deadlines = new DeadlineWheel();
