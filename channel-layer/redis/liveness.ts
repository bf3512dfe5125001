import { runEach, type CommandCall, type RedisClient } from './connection.js';
import type { Clock } from '../clock.js';
import type { RedisKeys } from './keys.js';

/** How often a process that asks about receivers looks again. */
const REFRESH_MS = 1_000;

/**
 * Who is alive, and where they receive. A process's heartbeat puts its inbox in the `alive`
 * set (group members of silent processes are dropped by it) and in the receiver set of each
 * ordinary channel it receives on (scored by the beat's time): it beats from its first receive
 * or its first process-specific channel, every heartbeat interval, and leaves the receiver sets
 * when its layer closes; a process killed outright drops out once its last beat is older than
 * the heartbeat timeout. The beat also renews the TTL of the process's joined hash (which groups
 * its channels were put in, group-joined-v1.lua), so a dead process's hash expires by itself. A process that asks whether a channel has receivers (an interface
 * server, before it sends a request) is answered from a view of the channels it asked about,
 * refreshed every REFRESH_MS: never a round trip per request.
 */
export class Liveness {
  /** Channels this process receives on. */
  private readonly mine = new Set<string>();
  /** Channels asked about → whether one had a live receiver at the last look. */
  private readonly view = new Map<string, boolean>();
  private refresher: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastBeat = -Infinity;
  /** The beat on its way to Redis: who needs it landed waits for it, even if it is not due again. */
  private landing: Promise<void> | undefined;
  private looking: Promise<void> | undefined;
  private nextLook: Promise<void> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly inbox: string,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {
    redis.on('ready', () => this.heartbeat !== undefined && void this.beat()); // after a reconnect, at once
  }

  /** Beats now and every heartbeat interval from then on; resolves once the first beat landed (or failed). */
  start(): Promise<void> {
    if (this.heartbeat !== undefined) return Promise.resolve();
    this.heartbeat = setInterval(() => void this.beat(), this.intervalMs);
    this.heartbeat.unref();
    return this.beat();
  }

  /** This process receives on `channel`: said at once the first time. */
  receiving(channel: string): void {
    if (this.mine.has(channel)) return;
    this.mine.add(channel);
    void this.beatNow();
  }

  /** Beats at once (and from then on, every interval); resolves once the beat landed (or failed). */
  beatNow(): Promise<void> {
    return this.heartbeat === undefined ? this.start() : this.beat();
  }

  /** Beats now if the last beat is an interval old by this process's clock (its timer may lag it). */
  beatIfDue(): Promise<void> {
    return this.clock() - this.lastBeat >= this.intervalMs ? this.beatNow() : (this.landing ?? Promise.resolve());
  }

  /**
   * True from the view; when the view says none (or has not looked yet), a fresh look, shared
   * by everyone who asks meanwhile, so a receiver that has just started is not missed.
   */
  hasReceivers(channel: string): true | Promise<boolean> {
    if (this.view.get(channel) === true) return true;
    if (!this.view.has(channel)) this.view.set(channel, false);
    if (this.refresher === undefined) {
      this.refresher = setInterval(() => void this.look(), REFRESH_MS);
      this.refresher.unref();
    }
    return this.look().then(() => this.view.get(channel) === true);
  }

  /** Stops beating and looking, and leaves every receiver set this process joined. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    clearInterval(this.refresher);
    if (this.mine.size === 0) return;
    await runEach(this.redis, [...this.mine].map((channel): CommandCall => ['zrem', this.keys.receivers(channel), this.inbox])).catch(() => {});
  }

  /**
   * Resolves once Redis has the beat (or could not take it): another process that looks after
   * that sees this one alive, whichever connection, or cluster node, it looks through.
   */
  private beat(): Promise<void> {
    if (this.redis.status !== 'ready') return Promise.resolve(); // beats again on 'ready'
    const now = this.clock();
    this.lastBeat = now;
    const calls: CommandCall[] = [['zadd', this.keys.alive, now, this.inbox], ['pexpire', this.keys.joined(this.inbox), this.timeoutMs]];
    for (const channel of this.mine) calls.push(['zadd', this.keys.receivers(channel), now, this.inbox]);
    const landing = runEach(this.redis, calls).then(noop, noop);
    this.landing = landing;
    void landing.then(() => {
      if (this.landing === landing) this.landing = undefined;
    });
    return landing;
  }

  /**
   * One look at a time. A look under way may have started before what the caller wants to
   * see (a worker that has just joined), so a caller meanwhile gets the next one, shared by all
   * who ask until it starts.
   */
  private look(): Promise<void> {
    if (this.looking === undefined) {
      this.looking = this.lookOnce().finally(() => (this.looking = undefined));
      return this.looking;
    }
    this.nextLook ??= this.looking.then(() => {
      this.nextLook = undefined;
      return this.look();
    });
    return this.nextLook;
  }

  private async lookOnce(): Promise<void> {
    const channels = [...this.view.keys()];
    const since = this.clock() - this.timeoutMs;
    const results = await runEach(this.redis, channels.map((channel): CommandCall => ['zcount', this.keys.receivers(channel), since, '+inf'])).catch(() => null);
    if (results === null) return; // Redis away: the last view stands (sends fail by themselves)
    channels.forEach((channel, i) => {
      const [error, count] = results[i] ?? [new Error('no reply'), 0];
      if (error === null) this.view.set(channel, (count as number) > 0);
    });
  }
}

function noop(): void {}
