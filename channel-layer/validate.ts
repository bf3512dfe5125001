import type { WireMessage } from './contract.js';
import { InvalidMessage } from './errors.js';

/** The layer's one check on what it carries; full schemas are checked at the trust boundaries. */
export function assertMessage(message: unknown): asserts message is WireMessage {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new InvalidMessage('a message must be an object with a string "type"');
  }
  if (typeof (message as { type?: unknown }).type !== 'string' || (message as WireMessage).type === '') {
    throw new InvalidMessage('a message must have a non-empty string "type"');
  }
}

export function normalizeMax(max: number | undefined): number {
  if (max === undefined) return 1;
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`receive "max" must be a positive integer, got ${max}`);
  return max;
}

/** A unique-enough id for process and channel names (12 base-36 characters, ~62 bits). */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  let id = '';
  for (const b of bytes) id += (b % 36).toString(36);
  return id + Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');
}
