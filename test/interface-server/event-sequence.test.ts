import { describe, expect, it } from 'vitest';
import { EventSequence } from '../../schemas/index.js';

const event = (i: number) => ({ type: 'websocket.receive', text: String(i) });

describe('EventSequence: one event at a time, and backpressure', () => {
  it('hands out the next event only once the one in progress is done, in order', () => {
    const seq = new EventSequence(8);
    for (let i = 0; i < 3; i++) expect(seq.add(event(i), false)).toBe(true);
    expect(seq.next()?.text).toBe('0');
    expect(seq.busy).toBe(true);
    expect(seq.next()).toBeUndefined();
    expect(seq.done()).toBe(true);
    expect(seq.next()?.text).toBe('1');
    expect(seq.done()).toBe(true);
    expect(seq.next()?.text).toBe('2');
    expect(seq.done()).toBe(true);
    expect(seq.done()).toBe(false);
    expect(seq.next()).toBeUndefined();
  });

  it('asks to pause at the limit, to resume under half of it, and refuses past twice the limit', () => {
    const seq = new EventSequence(4);
    seq.add(event(0), false);
    seq.next();
    for (let i = 1; i <= 4; i++) seq.add(event(i), false);
    expect(seq.shouldPause).toBe(true);
    for (let i = 5; i <= 8; i++) expect(seq.add(event(i), false)).toBe(true);
    expect(seq.add(event(9), false)).toBe(false);
    expect(seq.waiting).toBe(8);
    while (seq.waiting >= 2) {
      expect(seq.shouldResume).toBe(false);
      seq.done();
      seq.next();
    }
    expect(seq.shouldResume).toBe(true);
  });

  it("takes the client's own frames past twice the limit (what was read before the pause), refusing only a flood TCP would not allow", () => {
    const seq = new EventSequence(4);
    for (let i = 0; i < 8; i++) expect(seq.add(event(i), true)).toBe(true);
    expect(seq.add(event(8), false)).toBe(false); // a group's event: at most once
    for (let i = 8; i < 4 * 1024; i++) expect(seq.add(event(i), true)).toBe(true);
    expect(seq.add(event(4096), true)).toBe(false);
    const texts: string[] = [];
    for (let next = seq.next(); next !== undefined; next = seq.next()) {
      texts.push(next.text as string);
      seq.done();
    }
    expect(texts).toEqual([...Array(4096).keys()].map(String));
  });

  it('takes the last event even when full, and nothing after it', () => {
    const seq = new EventSequence(1);
    seq.add(event(0), false);
    seq.add(event(1), false);
    expect(seq.add(event(2), false)).toBe(false);
    seq.end({ type: 'websocket.disconnect', code: 1000 });
    expect(seq.ended).toBe(true);
    expect(seq.add(event(3), false)).toBe(false);
    const types: string[] = [];
    for (let next = seq.next(); next !== undefined; next = seq.next()) {
      types.push(next.type);
      seq.done();
    }
    expect(types).toEqual(['websocket.receive', 'websocket.receive', 'websocket.disconnect']);
    expect(seq.finished).toBe(true);
  });

  it('abandons what is in progress and waiting; a later last event still goes', () => {
    const seq = new EventSequence(4);
    seq.add(event(0), false);
    seq.add(event(1), false);
    seq.next();
    seq.abandon();
    expect(seq.busy).toBe(false);
    expect(seq.waiting).toBe(0);
    seq.end({ type: 'websocket.disconnect', code: 1006 });
    expect(seq.next()?.type).toBe('websocket.disconnect');
    seq.done();
    expect(seq.finished).toBe(true);
  });
});
