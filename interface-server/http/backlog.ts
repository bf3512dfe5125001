import type { Logger } from 'pino';

/** How much the newest measurement weighs in a channel's drain rate. */
const WEIGHT = 0.3;
/** A measurement ends after this many served requests (or a whole budget of busy time). */
const SAMPLE_SERVED = 4;
/** The lowest time to a response start is remembered over two periods of this length. */
const BASELINE_PERIOD_MS = 60_000;
/** Requests refused within this long of each other belong to one episode (one log line). */
const EPISODE_GAP_MS = 1_000;

/**
 * Whether a new request to a channel can still be answered before its client gives up, as this
 * server sees it. Under overload the worker refuses a request that cannot finish in time only
 * when it reaches it, close to the deadline (see consumers/http/admission.ts); this answers
 * 503 on arrival instead.
 *
 * Two conditions, both needed:
 *
 * - **A standing queue.** Requests have started waiting in the channel: the quickest response
 *   start of the latest measurement took longer than the quickest seen in the last minutes (the
 *   consumers' own time, as near as the server can see it) by more than a quarter of the budget.
 *   A channel whose workers keep up never shows this, however long its consumers take or
 *   however many requests a burst brings, so it is never refused.
 * - **Too long a wait for a newcomer**, by Little's law: the requests this server has sent to
 *   the channel and not had a response start for (`waiting`), divided by the rate at which the
 *   workers start serving them (`rate`, served starts per millisecond of busy time, i.e. time
 *   with any request waiting, so idle time does not dilute it), is more than the response
 *   timeout. While a queue stands the workers are saturated, and this rate is their capacity.
 *
 * A start with status 503 does not count as served: the worker's own refusals are not
 * capacity.
 */
export class Backlog {
  private readonly channels = new Map<string, ChannelBacklog>();

  constructor(
    /** The response timeout: how long a client waits for a response to start. */
    private readonly budgetMs: number,
    private readonly logger: Logger,
  ) {}

  of(channel: string): ChannelBacklog {
    let backlog = this.channels.get(channel);
    if (backlog === undefined) {
      backlog = new ChannelBacklog(channel, this.budgetMs, this.logger);
      this.channels.set(channel, backlog);
    }
    return backlog;
  }
}

export class ChannelBacklog {
  /** Requests sent and still without a response start. */
  private waiting = 0;
  /** The last moment busy time was counted up to. */
  private countedTo = 0;
  /** The measurement under way: busy time, served starts, and the quickest of them. */
  private sampleBusyMs = 0;
  private sampleServed = 0;
  private sampleQuickestMs = Infinity;
  /** Served starts per ms of busy time, a moving average; undefined until measured once. */
  private rate: number | undefined;
  /** The quickest start of the latest measurement. */
  private recentQuickestMs = 0;
  /** The quickest start in this period and the one before: the consumers' own time. */
  private baselineMs = [Infinity, Infinity];
  private periodEnds = 0;
  /** Requests refused in the current episode; 0 while the channel admits. */
  private refused = 0;
  private lastRefusal = 0;

  constructor(
    readonly channel: string,
    private readonly budgetMs: number,
    private readonly logger: Logger,
  ) {}

  /** Whether a request arriving now can be served in time; counts it if not. */
  admits(now = performance.now()): boolean {
    this.countBusy(now);
    if (!this.overloaded()) {
      if (this.refused > 0 && now - this.lastRefusal >= EPISODE_GAP_MS) this.stopRefusing();
      return true;
    }
    this.lastRefusal = now;
    if (this.refused++ === 0) {
      const perSecond = (this.rate! * 1000).toFixed(1);
      this.logger.warn(
        { channel: this.channel, waiting: this.waiting, servedPerSecond: Number(perSecond) },
        `${this.channel} is overloaded: ${this.waiting} requests wait and its workers serve ${perSecond} per second; answering new requests 503 until it catches up`,
      );
    }
    return false;
  }

  /** A request went to the workers. */
  sent(now = performance.now()): void {
    this.countBusy(now);
    this.waiting++;
  }

  /**
   * A request sent earlier got its response start after `tookMs` (`served`: not a 503), or
   * ended without one (`tookMs` undefined).
   */
  settled(served: boolean, tookMs?: number, now = performance.now()): void {
    this.countBusy(now);
    this.waiting--;
    if (!served || tookMs === undefined) return;
    this.sampleServed++;
    this.sampleQuickestMs = Math.min(this.sampleQuickestMs, tookMs);
    this.noteBaseline(tookMs, now);
    if (this.sampleServed >= SAMPLE_SERVED) this.measure();
  }

  private overloaded(): boolean {
    if (this.waiting === 0 || this.rate === undefined) return false;
    const baseline = Math.min(this.baselineMs[0]!, this.baselineMs[1]!);
    const standing = this.recentQuickestMs > baseline + this.budgetMs / 4;
    return standing && this.waiting > this.budgetMs * this.rate;
  }

  /** Adds the busy time since the last count, ending a measurement that has run a whole budget. */
  private countBusy(now: number): void {
    if (this.waiting > 0) this.sampleBusyMs += now - this.countedTo;
    this.countedTo = now;
    // Nothing served in a whole budget of busy time is a measurement too: a rate of 0, and
    // requests that waited the whole budget.
    if (this.sampleBusyMs >= this.budgetMs) {
      if (this.sampleServed === 0) this.sampleQuickestMs = this.budgetMs;
      this.measure();
    }
  }

  private measure(): void {
    const sample = this.sampleServed / Math.max(this.sampleBusyMs, 1);
    this.rate = this.rate === undefined ? sample : this.rate + WEIGHT * (sample - this.rate);
    this.recentQuickestMs = this.sampleQuickestMs;
    this.sampleServed = 0;
    this.sampleBusyMs = 0;
    this.sampleQuickestMs = Infinity;
  }

  /** Two periods of the quickest start: an old low forgotten after one to two periods. */
  private noteBaseline(tookMs: number, now: number): void {
    if (now >= this.periodEnds) {
      this.baselineMs = [this.baselineMs[1]!, Infinity];
      this.periodEnds = now + BASELINE_PERIOD_MS;
    }
    this.baselineMs[1] = Math.min(this.baselineMs[1]!, tookMs);
  }

  private stopRefusing(): void {
    this.logger.warn({ channel: this.channel, refused: this.refused }, `${this.channel} caught up: admitting requests again after answering ${this.refused} with 503`);
    this.refused = 0;
  }
}
