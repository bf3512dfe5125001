/** Something with a deadline: `expire` runs once it has passed. */
export interface Expiring {
  expire(): void;
}

/**
 * One clock per process for the deadlines of exchanges, WebSocket events and consumers, in
 * place of a `setTimeout` each: deadlines fall into buckets of `tickMs`, and one timer waits
 * for the earliest bucket. Setting and cancelling a deadline allocate nothing past a bucket
 * per tick; a deadline fires at most one tick late, never early.
 *
 * The timer does not keep the process alive: what a deadline guards (a socket, a pending
 * message) does that.
 */
export class DeadlineWheel {
  private readonly buckets = new Map<number, Set<Expiring>>();
  /** Times of the buckets, ascending. Few: one per tick up to the longest deadline. */
  private readonly times: number[] = [];
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  constructor(
    private readonly tickMs = 25,
    private readonly onError: (error: unknown) => void = (error) => queueMicrotask(() => { throw error; }),
  ) {}

  /** Arms `item` to expire `ms` from now; the returned handle cancels it. */
  set(item: Expiring, ms: number): number {
    const time = Math.ceil((Date.now() + ms) / this.tickMs) * this.tickMs;
    let bucket = this.buckets.get(time);
    if (bucket === undefined) {
      this.buckets.set(time, (bucket = new Set()));
      insertSorted(this.times, time);
      if (time < this.armedFor) this.arm(time);
    }
    bucket.add(item);
    return time;
  }

  /** Disarms a deadline from `set` (a handle of 0 is none); an emptied bucket goes at its tick. */
  cancel(item: Expiring, handle: number): void {
    if (handle !== 0) this.buckets.get(handle)?.delete(item);
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
    while (this.times.length > 0 && this.times[0]! <= now) {
      const time = this.times.shift()!;
      const bucket = this.buckets.get(time)!;
      this.buckets.delete(time);
      for (const item of bucket) {
        try {
          item.expire();
        } catch (error) {
          this.onError(error);
        }
      }
    }
    if (this.times.length > 0) this.arm(this.times[0]!);
  };
}

function insertSorted(times: number[], time: number): void {
  let at = times.length;
  while (at > 0 && times[at - 1]! > time) at--;
  times.splice(at, 0, time);
}

/** The process's one clock. */
export const deadlines = new DeadlineWheel();
