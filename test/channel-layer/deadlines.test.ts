import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DeadlineWheel } from '../../channel-layer/deadlines.js';

describe('DeadlineWheel', () => {
  it('expires each armed item once, never before its deadline, and not the cancelled ones', async () => {
    const wheel = new DeadlineWheel(10);
    const expired: { name: string; at: number }[] = [];
    const item = (name: string) => ({ expire: () => expired.push({ name, at: Date.now() }) });
    const started = Date.now();
    const a = item('a');
    const b = item('b');
    const c = item('c');
    wheel.set(a, 30);
    const handle = wheel.set(b, 30);
    wheel.set(c, 60);
    wheel.cancel(b, handle);
    await expect.poll(() => expired.length, { timeout: 5_000 }).toBe(2);
    await sleep(50);
    expect(expired.map((e) => e.name)).toEqual(['a', 'c']);
    expect(expired[0]!.at - started).toBeGreaterThanOrEqual(30);
    expect(expired[1]!.at - started).toBeGreaterThanOrEqual(60);
  });

  it('re-arms for a deadline earlier than the one it waits for', async () => {
    const wheel = new DeadlineWheel(10);
    const expired: string[] = [];
    wheel.set({ expire: () => expired.push('late') }, 10_000);
    wheel.set({ expire: () => expired.push('soon') }, 20);
    await expect.poll(() => expired, { timeout: 5_000 }).toEqual(['soon']);
  });

  it('reports an item that throws and still expires the others', async () => {
    const errors: unknown[] = [];
    const wheel = new DeadlineWheel(10, (error) => errors.push(error));
    const expired: string[] = [];
    wheel.set({ expire: () => { throw new Error('boom'); } }, 10);
    wheel.set({ expire: () => expired.push('ok') }, 10);
    await expect.poll(() => expired, { timeout: 5_000 }).toEqual(['ok']);
    expect(errors).toHaveLength(1);
  });

  it('cancels a deadline in an older bucket of its lane, and keeps later ones', async () => {
    const wheel = new DeadlineWheel(10);
    const expired: string[] = [];
    const first = { expire: () => expired.push('first') };
    const handle = wheel.set(first, 40);
    await sleep(30);
    wheel.set({ expire: () => expired.push('second') }, 40);
    wheel.cancel(first, handle);
    await expect.poll(() => expired, { timeout: 5_000 }).toEqual(['second']);
  });
});
