import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ChannelBacklog } from '../../interface-server/http/backlog.js';

function log(lines: string[] = []) {
  return pino({ level: 'warn' }, new Writable({ write: (chunk, _e, done) => done(void lines.push(String(chunk))) }));
}

/**
 * A channel's workers simulated in virtual time: `slots` consumers of `serviceMs` each, FIFO,
 * fed by the server's `sent` and reporting starts to the backlog.
 */
class Channel {
  now = 0;
  private readonly queue: number[] = []; // send times
  private readonly busyUntil: number[];
  constructor(
    readonly backlog: ChannelBacklog,
    slots: number,
    private readonly serviceMs: number,
  ) {
    this.busyUntil = new Array<number>(slots).fill(0);
  }

  /** A request arrives: refused (false) or sent (true). */
  arrive(): boolean {
    if (!this.backlog.admits(this.now)) return false;
    this.backlog.sent(this.now);
    this.queue.push(this.now);
    return true;
  }

  /** Runs the workers until `until`, reporting each response start. */
  runTo(until: number): void {
    for (;;) {
      const slot = this.busyUntil.indexOf(Math.min(...this.busyUntil));
      const sentAt = this.queue[0];
      if (sentAt === undefined) break;
      const startsAt = Math.max(this.busyUntil[slot]!, sentAt) + this.serviceMs;
      if (startsAt > until) break;
      this.queue.shift();
      this.busyUntil[slot] = startsAt;
      this.backlog.settled(true, startsAt - sentAt, startsAt);
    }
    this.now = until;
  }
}

describe('ChannelBacklog: refusing on arrival what the workers cannot reach in time', () => {
  it('refuses once a queue stands and a newcomer would wait past the budget, one log line per episode, and admits again once it drained', () => {
    const lines: string[] = [];
    // 4 slots of 2 s (2 a second), 10 s budget, 100 clients asking again as soon as answered.
    const channel = new Channel(new ChannelBacklog('http.request', 10_000, log(lines)), 4, 2_000);
    for (let i = 0; i < 100; i++) channel.arrive();
    const refusedAt: number[] = [];
    for (let t = 100; t <= 30_000; t += 100) {
      channel.runTo(t);
      while (!channel.arrive()) if (refusedAt.push(t) > 100_000) break; // refused: the client asks again
    }
    expect(refusedAt.length).toBeGreaterThan(0);
    expect(refusedAt[0]).toBeLessThan(10_000); // well before the first 504 would have come
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('http.request is overloaded');
    // The clients stop; the workers drain what waits; a request is admitted again.
    channel.runTo(80_000);
    expect(channel.arrive()).toBe(true);
    expect(lines[1]).toContain('http.request caught up: admitting requests again');
  });

  it('never refuses a burst the workers have room for, however long the consumers take', () => {
    // 64 slots of 2 s, 30 s budget, light load (one request every 2 s), then a burst of 60.
    const channel = new Channel(new ChannelBacklog('http.request', 30_000, log()), 64, 2_000);
    for (let t = 0; t < 60_000; t += 2_000) {
      channel.runTo(t);
      expect(channel.arrive()).toBe(true);
    }
    for (let i = 0; i < 60; i++) expect(channel.arrive()).toBe(true);
    channel.runTo(62_500);
    for (let i = 0; i < 60; i++) expect(channel.arrive()).toBe(true);
  });

  it('never refuses consumers slower than a quarter of the budget when they keep up', () => {
    // 8 slots of 12 s (0.67 a second), one request every 2 s: each starts 12 s after it came.
    const channel = new Channel(new ChannelBacklog('http.request', 30_000, log()), 8, 12_000);
    for (let t = 0; t < 300_000; t += 2_000) {
      channel.runTo(t);
      expect(channel.arrive()).toBe(true);
    }
    for (let i = 0; i < 10; i++) expect(channel.arrive()).toBe(true); // and a burst on top
  });

  it('admits everything until something has been served and measured', () => {
    const backlog = new ChannelBacklog('http.request', 30_000, log());
    for (let i = 0; i < 10_000; i++) backlog.sent(i);
    expect(backlog.admits(10_000)).toBe(true);
  });

  it('does not count 503s as served: the workers refusing is not capacity', () => {
    const backlog = new ChannelBacklog('http.request', 10_000, log());
    let now = 0;
    for (let i = 0; i < 4; i++) backlog.sent(now);
    for (let i = 0; i < 4; i++) backlog.settled(true, 100, (now += 100)); // quick at first
    for (let i = 0; i < 200; i++) backlog.sent(now);
    // Then the workers refuse 20 a second (late, as the worker sheds) and serve 2, long waited.
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 20; i++) backlog.settled(false, undefined, (now += 45));
      for (let i = 0; i < 2; i++) backlog.settled(true, 8_000, (now += 50));
      for (let i = 0; i < 22; i++) backlog.sent(now);
    }
    expect(backlog.admits(now)).toBe(false); // 200 waiting at 2 a second
  });
});
