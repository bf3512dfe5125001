import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodedSize, encodeEnvelope, encodeGroupParts, encodesWithin, PROTOCOL_VERSION, wireCopy, WireFormatError } from '../../schemas/index.js';

describe('wire codec', () => {
  it('round-trips an envelope with bytes as bytes', () => {
    const body = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
    const encoded = encodeEnvelope('http.request', { type: 'http.request.body', body, more_body: true }, 1_700_000_000_123);
    const envelope = decodeEnvelope(encoded);
    expect(envelope.version).toBe(PROTOCOL_VERSION);
    expect(envelope.sentAt).toBe(1_700_000_000_123);
    expect(envelope.target).toBe('http.request');
    expect(envelope.message.body).toBeInstanceOf(Uint8Array);
    expect([...(envelope.message.body as Uint8Array)]).toEqual([...body]);
    // Bytes travel as MessagePack bin: the envelope is barely larger than the body, no base64.
    expect(encoded.length).toBeLessThan(body.length + 80);
  });

  it('assembles a group envelope from its parts around a member list', () => {
    const { head, body } = encodeGroupParts({ type: 'chat.message', text: 'hi' }, 42);
    const members = new Packr({ useRecords: false }).pack(['room', 'srv.a!1', 'srv.a!2']);
    const envelope = decodeEnvelope(Buffer.concat([head, members, body]));
    expect(envelope).toEqual({
      version: PROTOCOL_VERSION,
      sentAt: 42,
      target: ['room', 'srv.a!1', 'srv.a!2'],
      message: { type: 'chat.message', text: 'hi' },
    });
  });

  it('refuses another protocol version and corrupt bytes', () => {
    const packr = new Packr({ useRecords: false });
    expect(() => decodeEnvelope(packr.pack([PROTOCOL_VERSION + 1, 0, 'c', { type: 't' }]))).toThrow(
      `envelope of protocol version ${PROTOCOL_VERSION + 1}, this process speaks ${PROTOCOL_VERSION}`,
    );
    // A process of the version before (1: no http.response) is refused, not half understood.
    expect(() => decodeEnvelope(packr.pack([1, 0, 'c', { type: 't' }]))).toThrow(`envelope of protocol version 1, this process speaks ${PROTOCOL_VERSION}`);
    expect(() => decodeEnvelope(Buffer.from([0xc1, 0xff]))).toThrow(WireFormatError);
    expect(() => decodeEnvelope(packr.pack({ not: 'an envelope' }))).toThrow(WireFormatError);
    expect(() => decodeEnvelope(packr.pack([PROTOCOL_VERSION, 0, 'c', { no: 'type' }]))).toThrow(/no message with a "type"/);
  });

  describe('wireCopy (the in-memory layer\'s copy)', () => {
    const roundTrip = (value: unknown): unknown => decodeEnvelope(encodeEnvelope('c', { type: 't', value })).message.value;
    const cases: [string, unknown][] = [
      ['strings, numbers, booleans, null', { s: 'héllo', n: 1.5, i: -3, big: 2 ** 60, t: true, f: false, z: null }],
      ['negative zero', -0],
      ['NaN and infinities', [NaN, Infinity, -Infinity]],
      ['undefined, in objects and arrays', { u: undefined, list: [undefined, 1] }],
      ['sparse arrays', [1, , 3]],
      ['bytes of every kind', { u8: new Uint8Array([1, 2]), buf: Buffer.from([3]), sub: new Uint8Array([9, 8, 7]).subarray(1) }],
      ['array buffers', { ab: new ArrayBuffer(3) }],
      ['dates, maps and sets', { d: new Date(0), m: new Map([['a', 1]]), st: new Set([1, 2]) }],
      ['class instances and null-prototype objects', { c: new (class A { x = 1; })(), n: Object.assign(Object.create(null) as object, { a: 1 }) }],
      ['functions in objects', { f() {}, g: 1 }],
      ['nested headers', { headers: [['a', 'b'], ['set-cookie', 'x']], scope: { path: '/x', client: ['127.0.0.1', 1] } }],
      ['small bigints', 10n],
    ];
    for (const [name, value] of cases) {
      it(`copies ${name} as the codec would`, () => {
        expect(wireCopy({ type: 't', value }).value).toStrictEqual(roundTrip(value));
      });
    }

    it('refuses what the codec refuses', () => {
      expect(() => encodeEnvelope('c', { type: 't', s: Symbol('x') })).toThrow();
      expect(() => wireCopy({ type: 't', s: Symbol('x') })).toThrow();
      expect(() => wireCopy({ type: 't', huge: 2n ** 70n })).toThrow();
    });

    it('copies bytes, so the sender may reuse its buffer', () => {
      const body = new Uint8Array([1, 2, 3]);
      const copy = wireCopy({ type: 't', body });
      body[0] = 9;
      expect([...(copy.body as Uint8Array)]).toEqual([1, 2, 3]);
    });
  });

  it('encodesWithin agrees with the exact encoded size, at every limit around it', () => {
    const values: unknown[] = [
      { $scope: { path: '/ws/chat/lobby', headers: [['host', 'example.com'], ['cookie', 'a=1; b=2']], client: ['127.0.0.1', 5000] }, n: 3 },
      { text: 'é'.repeat(100), emoji: '😀'.repeat(20), bytes: new Uint8Array(300), list: [1, 2.5, -7, null, true, undefined] },
      { when: new Date(0), big: 10n },
      'x'.repeat(5000),
    ];
    for (const value of values) {
      const exact = encodedSize(value);
      for (const limit of [0, exact - 1, exact, exact + 1, exact * 3 + 100]) expect(encodesWithin(value, limit)).toBe(exact <= limit);
    }
  });
});
