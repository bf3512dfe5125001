/**
 * switchyard/client and the interface server agree on the framing: what the server writes, the
 * client reads back the same; what the client puts in its URL, the server reads back the same.
 */
import { describe, expect, it } from 'vitest';
import { connectUrl, parseFrame } from '../../client/frames.js';
import { reconnectDelay, worthReconnecting } from '../../client/index.js';
import { advanceFrame, clientFraming, followedFrame, historyFrame, messageFrame, positionFrame } from '../../interface-server/websocket/client-frames.js';

describe('client framing', () => {
  const position = { epoch: 'Ab3_-x', offset: 42 };

  it('reads back every frame the server writes', () => {
    expect(parseFrame(messageFrame('{"a":1}\nsecond line'))).toEqual({ kind: 'message', text: '{"a":1}\nsecond line' });
    expect(parseFrame(historyFrame('room.a-1', position, 'hi\nthere'))).toEqual({ kind: 'history', group: 'room.a-1', position, text: 'hi\nthere' });
    expect(parseFrame(positionFrame('room.a-1', position))).toEqual({ kind: 'position', group: 'room.a-1', position });
    expect(parseFrame(advanceFrame('room.a-1', position))).toEqual({ kind: 'advance', group: 'room.a-1', position });
    expect(parseFrame(followedFrame('room.a-1', position, undefined))).toEqual({ kind: 'followed', group: 'room.a-1', position, missed: undefined });
    expect(parseFrame(followedFrame('room.a-1', position, 'trimmed'))).toEqual({ kind: 'followed', group: 'room.a-1', position, missed: 'trimmed' });
    expect(parseFrame('plain text from an older server')).toEqual({ kind: 'unknown', text: 'plain text from an older server' });
  });

  it('names its positions in the URL as the server reads them, keeping the app\'s own query', () => {
    const url = connectUrl('ws://example.test/ws/chat/x?name=a%20b', new Map([
      ['room.x', position],
      ['room.y', { epoch: '*', offset: 0 }],
    ]));
    const parsed = new URL(url);
    expect(parsed.searchParams.get('name')).toBe('a b');
    const framing = clientFraming(Buffer.from(parsed.search.slice(1), 'latin1'));
    expect(framing?.positions).toEqual(new Map([
      ['room.x', position],
      ['room.y', { epoch: '*', offset: 0 }],
    ]));
    expect(clientFraming(Buffer.from('name=a'))).toBeUndefined();
    expect(clientFraming(Buffer.from('sy=1&sy_since=room.x~e~notanumber,~e~1'))?.positions).toEqual(new Map());
    expect(clientFraming(Buffer.from('sy=1&sy_since=%'))?.positions).toEqual(new Map()); // not an encoding: ignored, not thrown
    expect(connectUrl('https://example.test/ws', new Map())).toBe('wss://example.test/ws?sy=1');
  });
});

describe('reconnecting', () => {
  it('waits exponentially longer, capped, with jitter', () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const ceiling = Math.min(10_000, 500 * 2 ** attempt);
      expect(reconnectDelay(attempt, 500, 10_000, () => 0)).toBe(250);
      expect(reconnectDelay(attempt, 500, 10_000, () => 1)).toBe(ceiling);
    }
  });

  it('does not come back after a close the app meant', () => {
    expect([1000, 1008, 1007, 4001, 3000].map(worthReconnecting)).toEqual([false, false, false, false, false]);
    expect([1001, 1006, 1011, 1012, 1013, 1005].map(worthReconnecting)).toEqual([true, true, true, true, true, true]);
  });
});
