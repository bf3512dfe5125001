import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, encodeGroupParts, PROTOCOL_VERSION, WireFormatError } from '../../schemas/index.js';

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
      /envelope of protocol version 2, this process speaks 1/,
    );
    expect(() => decodeEnvelope(Buffer.from([0xc1, 0xff]))).toThrow(WireFormatError);
    expect(() => decodeEnvelope(packr.pack({ not: 'an envelope' }))).toThrow(WireFormatError);
    expect(() => decodeEnvelope(packr.pack([PROTOCOL_VERSION, 0, 'c', { no: 'type' }]))).toThrow(/no message with a "type"/);
  });
});
