import { describe, expect, it } from 'vitest';
import { EventSequence } from '../../interface-server/websocket/event-sequence.js';

const event = (i: number) => ({ type: 'websocket.receive', text: String(i) });

describe('EventSequence: one event at a time, and backpressure', () => {
  it('hands out the next event only once the one in progress is done, in order', () => {
    const seq = new EventSequence(8);
    for (let i = 0; i < 3; i++) expect(seq.add(event(i))).toBe(true);
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
    seq.add(event(0));
    seq.next();
    for (let i = 1; i <= 4; i++) seq.add(event(i));
    expect(seq.shouldPause).toBe(true);
    for (let i = 5; i <= 8; i++) expect(seq.add(event(i))).toBe(true);
    expect(seq.add(event(9))).toBe(false);
    expect(seq.waiting).toBe(8);
    while (seq.waiting >= 2) {
      expect(seq.shouldResume).toBe(false);
      seq.done();
      seq.next();
    }
    expect(seq.shouldResume).toBe(true);
  });

  it('takes the last event even when full, and nothing after it', () => {
    const seq = new EventSequence(1);
    seq.add(event(0));
    seq.add(event(1));
    expect(seq.add(event(2))).toBe(false);
    seq.end({ type: 'websocket.disconnect', code: 1000 });
    expect(seq.ended).toBe(true);
    expect(seq.add(event(3))).toBe(false);
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
    seq.add(event(0));
    seq.add(event(1));
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
