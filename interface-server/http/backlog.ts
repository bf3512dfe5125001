import type { Logger } from 'pino';

/** How much the newest measurement weighs in a channel's drain rate. */
const WEIGHT = 0.3;
/** A drain-rate measurement ends after this many served requests (or a whole budget of busy time). */
const SAMPLE_SERVED = 4;
/**
 * Requests must have been waiting without a break for this long before any is refused: a burst
 * is let through while the drain rate, measured before it, catches up with what the workers do
 * once they are saturated.
 */
const STANDING_MS = 1_000;

/**
 * Whether a new request to a channel can still be answered before its client gives up, as this
 * server sees it. Under overload the worker refuses a request that cannot finish in time only
 * when it reaches it, close to the deadline (see consumers/http/admission.ts); this answers
 * 503 on arrival instead.
 *
 * The estimate is Little's law: the requests this server has sent to the channel and not had a
 * response start for (`waiting`), divided by the rate at which the channel's workers start
 * serving them (`rate`, served starts per millisecond of busy time, i.e. time with any request
 * waiting, so that idle time does not dilute it). A new request waits about waiting ÷ rate;
 * more than the response timeout and it is refused. A start with status 503 does not count as
 * served: the worker's own refusals must not look like capacity. Nothing is refused before a
 * rate is known, nor before requests have been waiting for STANDING_MS without a break.
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
  /** When `waiting` last went from 0 to 1: the start of the current unbroken busy period. */
  private busySince = 0;
  /** The last moment busy time was counted up to. */
  private countedTo = 0;
  /** The measurement under way: busy time and served starts. */
  private sampleBusyMs = 0;
  private sampleServed = 0;
  /** Served starts per ms of busy time, a moving average; undefined until measured once. */
  private rate: number | undefined;
  /** Requests refused since the channel began refusing; 0 while it admits. */
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
    const refuse = this.waiting > 0 && this.rate !== undefined && now - this.busySince >= STANDING_MS && this.waiting > this.budgetMs * this.rate;
    if (!refuse) {
      // Near the limit refusals and admissions alternate: one episode until a second without refusals.
      if (this.refused > 0 && now - this.lastRefusal >= STANDING_MS) this.stopRefusing();
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
    if (this.waiting++ === 0) this.busySince = now;
  }

  /** A request sent earlier got its response start (`served`), or ended without one. */
  settled(served: boolean, now = performance.now()): void {
    this.countBusy(now);
    this.waiting--;
    if (served) this.sampleServed++;
    if (this.sampleServed >= SAMPLE_SERVED) this.measure();
  }

  /** Adds the busy time since the last count, ending a measurement that has run a whole budget. */
  private countBusy(now: number): void {
    if (this.waiting > 0) this.sampleBusyMs += now - this.countedTo;
    this.countedTo = now;
    // Nothing served in a whole budget of busy time is a measurement too: a rate of 0.
    if (this.sampleBusyMs >= this.budgetMs) this.measure();
  }

  private measure(): void {
    const sample = this.sampleServed / Math.max(this.sampleBusyMs, 1);
    this.rate = this.rate === undefined ? sample : this.rate + WEIGHT * (sample - this.rate);
    this.sampleServed = 0;
    this.sampleBusyMs = 0;
  }

  private stopRefusing(): void {
    this.logger.warn({ channel: this.channel, refused: this.refused }, `${this.channel} caught up: admitting requests again after answering ${this.refused} with 503`);
    this.refused = 0;
  }
}
