import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ChannelBacklog } from '../../interface-server/http/backlog.js';

function quietLog(lines: string[] = []) {
  return pino({ level: 'warn' }, new Writable({ write: (chunk, _e, done) => done(void lines.push(String(chunk))) }));
}

/** A channel whose workers serve `perSecond` requests, `waiting` kept sent ahead of them from time 0. */
function saturated(backlog: ChannelBacklog, waiting: number, perSecond: number, seconds: number): number {
  let now = 0;
  for (let i = 0; i < waiting; i++) backlog.sent(now);
  const step = 1000 / perSecond;
  for (; now < seconds * 1000; now += step) {
    backlog.settled(true, now);
    backlog.sent(now); // its client asks again
  }
  return now;
}

describe('ChannelBacklog: refusing on arrival what the workers cannot reach in time', () => {
  it('admits everything until a drain rate is known', () => {
    const backlog = new ChannelBacklog('http.request', 30_000, quietLog());
    for (let i = 0; i < 10_000; i++) backlog.sent(i);
    expect(backlog.admits(10_000)).toBe(true);
  });

  it('refuses when the requests waiting would take the workers longer than the budget, and admits again once they caught up', () => {
    const lines: string[] = [];
    const backlog = new ChannelBacklog('http.request', 10_000, quietLog(lines));
    // 2 served per second with 100 waiting: a new request would wait about 50 s.
    let now = saturated(backlog, 100, 2, 20);
    expect(backlog.admits(now)).toBe(false);
    expect(backlog.admits(now)).toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('http.request is overloaded: 100 requests wait');
    // The clients stop; the workers drain what waits, down to what they can start within 10 s.
    for (let left = 100; left > 15; left--) backlog.settled(true, (now += 500));
    expect(backlog.admits(now)).toBe(true);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('http.request caught up: admitting requests again after answering 2 with 503');
  });

  it('admits the same load when the workers keep up with it', () => {
    const backlog = new ChannelBacklog('http.request', 10_000, quietLog());
    const now = saturated(backlog, 100, 50, 20); // 100 waiting, 50 per second: 2 s
    expect(backlog.admits(now)).toBe(true);
  });

  it('lets a burst through: nothing is refused before requests have waited a second without a break', () => {
    const backlog = new ChannelBacklog('http.request', 10_000, quietLog());
    // Light load measured the rate low: one request at a time, 100 ms each, 1 per second.
    let now = 0;
    for (let i = 0; i < 8; i++, now += 1000) {
      backlog.sent(now);
      backlog.settled(true, now + 100);
    }
    for (let i = 0; i < 500; i++) backlog.sent(now);
    expect(backlog.admits(now + 999)).toBe(true);
    expect(backlog.admits(now + 1000)).toBe(false); // 500 waiting at the 10 per second measured
  });

  it('takes nothing started in a whole budget of busy time as a rate of 0', () => {
    const backlog = new ChannelBacklog('http.request', 10_000, quietLog());
    backlog.sent(0);
    backlog.sent(0);
    expect(backlog.admits(9_999)).toBe(true);
    expect(backlog.admits(10_000)).toBe(false);
    backlog.settled(false, 10_001); // one timed out
    backlog.settled(false, 10_002); // and the other
    expect(backlog.admits(10_003)).toBe(true); // nothing waits
  });

  it('does not count 503s as served: the workers refusing is not capacity', () => {
    const backlog = new ChannelBacklog('http.request', 10_000, quietLog());
    let now = 0;
    for (let i = 0; i < 100; i++) backlog.sent(now);
    // The workers refuse 20 a second (late), serve 2.
    for (let s = 0; s < 10; s++) {
      for (let i = 0; i < 20; i++) backlog.settled(false, (now += 45));
      for (let i = 0; i < 2; i++) backlog.settled(true, (now += 50));
      for (let i = 0; i < 22; i++) backlog.sent(now);
    }
    expect(backlog.admits(now)).toBe(false); // 100 waiting at 2 a second
  });
});
