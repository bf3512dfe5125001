import { Packr } from 'msgpackr';
import { SwitchyardError } from './errors.js';
import { PROTOCOL_VERSION } from './version.js';

/**
 * The wire envelope. Every message crosses the layer as one MessagePack array:
 *
 *     [version, sentAt, target, message]
 *
 * - `version`: PROTOCOL_VERSION of the sender;
 * - `sentAt`: the sender's clock in ms since the epoch; a receiver drops envelopes older than
 *   the layer's expiry (so clocks of the machines involved must agree to well under it);
 * - `target`: the channel name, or for a group delivery `[group, member, member, …]`: the
 *   members held by the receiving process, so one envelope serves all of them;
 * - `message`: the message object. Bytes are MessagePack `bin`, never base64.
 *
 * The Redis layer assembles group envelopes from the pieces `encodeGroupParts` returns (one
 * member list per holding process, the rest packed once).
 */
export interface Envelope {
  version: number;
  sentAt: number;
  target: string | readonly string[];
  message: WireMessage;
}

/** Any message object with a string `type`; its fields must be MessagePack-encodable. */
export interface WireMessage {
  type: string;
  [field: string]: unknown;
}

/** An envelope that could not be decoded: corrupt bytes or another protocol version. */
export class WireFormatError extends SwitchyardError {
  override readonly name = 'WireFormatError';
  override readonly code = 'SWITCHYARD_WIRE_FORMAT';
}

// Plain maps (no msgpackr records) keep the format readable by any MessagePack decoder. Every
// integer decodes to a number, whatever its MessagePack type (a uint64 from another language's
// encoder included): times and sizes are numbers however they were packed.
const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: 'number' });

/** MessagePack header of a 4-element array (fixarray). */
const ENVELOPE_HEADER = 0x94;

export function encodeEnvelope(target: string, message: WireMessage, sentAt: number = Date.now()): Buffer {
  return packr.pack([PROTOCOL_VERSION, sentAt, target, message]);
}

/**
 * The pieces of a group envelope around the member list: `head` is the array header with
 * version and time, `body` the packed message; `head + pack([group, ...members]) + body` is
 * a complete envelope.
 */
export function encodeGroupParts(message: WireMessage, sentAt: number = Date.now()): { head: Buffer; body: Buffer } {
  const head = Buffer.concat([Buffer.of(ENVELOPE_HEADER), packr.pack(PROTOCOL_VERSION), packr.pack(sentAt)]);
  return { head, body: packr.pack(message) };
}

/** A group envelope for `target` (`[group, member, …]`) from the pieces of `encodeGroupParts`. */
export function encodeGroupEnvelope(parts: { head: Buffer; body: Buffer }, target: readonly string[]): Buffer {
  return Buffer.concat([parts.head, packr.pack(target), parts.body]);
}

/** Bytes `value` takes on the wire: what size limits on carried state are measured in. */
export function encodedSize(value: unknown): number {
  return packr.pack(value).length;
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  let value: unknown;
  try {
    value = packr.unpack(bytes);
  } catch (error) {
    throw new WireFormatError(`undecodable envelope: ${(error as Error).message}`);
  }
  if (!Array.isArray(value) || value.length !== 4) {
    throw new WireFormatError('envelope is not a 4-element array');
  }
  const [version, sentAt, target, message] = value as [unknown, unknown, unknown, unknown];
  if (version !== PROTOCOL_VERSION) {
    throw new WireFormatError(`envelope of protocol version ${String(version)}, this process speaks ${PROTOCOL_VERSION}`);
  }
  if (typeof sentAt !== 'number') throw new WireFormatError('envelope has no send time');
  if (typeof target !== 'string' && !isStringArray(target)) throw new WireFormatError('envelope has no target');
  if (typeof message !== 'object' || message === null || typeof (message as WireMessage).type !== 'string') {
    throw new WireFormatError('envelope carries no message with a "type"');
  }
  return { version, sentAt, target, message: message as WireMessage };
}

/**
 * Whose an envelope that `decodeEnvelope` refused was, if that much can be read: its target (a
 * channel, or a group's `[group, member, …]`), so that the holder can answer for it at once
 * instead of waiting for a reply that will never come.
 */
export function targetOfUnreadable(bytes: Uint8Array): string | string[] | undefined {
  try {
    const value = packr.unpack(bytes) as unknown;
    if (!Array.isArray(value)) return undefined;
    const target = value[2] as unknown;
    return typeof target === 'string' || isStringArray(target) ? target : undefined;
  } catch {
    return undefined; // not even MessagePack: nobody can be told
  }
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string');
}

/**
 * What `decodeEnvelope(encodeEnvelope(…))` would hand the receiver, without the round trip:
 * the in-memory layer's copy. Strings, numbers, booleans, null, bytes, arrays and plain
 * objects are copied here; anything else (dates, maps, class instances, bigints…) goes through
 * the codec itself, so what it refuses is refused and what it changes is changed alike.
 */
export function wireCopy<T>(value: T): T {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return value;
    case 'number':
      return (Object.is(value, -0) ? 0 : value) as T;
    case 'object': {
      if (value === null) return value;
      if (Array.isArray(value)) {
        const copy = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) copy[i] = wireCopy(value[i]);
        return copy as T;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto === Buffer.prototype || proto === Uint8Array.prototype) return Buffer.from(value as unknown as Uint8Array) as T;
      if (proto === Object.prototype) {
        const copy: Record<string, unknown> = {};
        for (const key in value) copy[key] = wireCopy((value as Record<string, unknown>)[key]);
        return copy as T;
      }
      return packr.unpack(packr.pack(value)) as T;
    }
    default:
      return packr.unpack(packr.pack(value)) as T;
  }
}

/**
 * Whether `value` takes at most `maxBytes` on the wire, without encoding it when a quick upper
 * bound already says so: carried WebSocket state is checked on every event, and is far below
 * its limit nearly always.
 */
export function encodesWithin(value: unknown, maxBytes: number): boolean {
  return sizeBound(value, maxBytes) <= maxBytes || encodedSize(value) <= maxBytes;
}

/** An upper bound of `value`'s MessagePack size, or Infinity once past `stop` or for types it does not bound. */
function sizeBound(value: unknown, stop: number): number {
  switch (typeof value) {
    case 'string':
      return 5 + 3 * value.length; // a UTF-16 unit is at most 3 UTF-8 bytes
    case 'number':
      return 9;
    case 'boolean':
    case 'undefined':
      return 3;
    case 'object': {
      if (value === null) return 1;
      if (value instanceof Uint8Array) return 5 + value.byteLength;
      let total = 5;
      if (Array.isArray(value)) {
        for (const item of value) if ((total += sizeBound(item, stop)) > stop) return Infinity;
        return total;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype) return Infinity;
      for (const key in value) {
        if ((total += 5 + 3 * key.length + sizeBound((value as Record<string, unknown>)[key], stop)) > stop) return Infinity;
      }
      return total;
    }
    default:
      return Infinity;
  }
}
