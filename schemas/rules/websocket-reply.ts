import { encodedSize, encodesWithin } from '../codec.js';
import type { WorkerToServerMessage } from '../directions.js';
import type { EventSequence } from './event-sequence.js';
import { ProtocolViolation } from './protocol-violation.js';

/** Where a WebSocket connection is, as far as the order of its replies goes. */
export type WebsocketPhase = 'connecting' | 'open' | 'closing' | 'closed';

/** Most bytes (MessagePack) of the state a connection carries, unless the server is told otherwise. */
export const DEFAULT_STATE_MAX_BYTES = 64 * 1024;

/**
 * The order rule of a WebSocket connection's replies: `websocket.accept` once, during the
 * handshake, with a subprotocol the client offered (or none); no `websocket.send` before the
 * accept; `websocket.close` and `websocket.done` at any time (`done` is checked against the
 * event sequence by `checkDone`). Throws a ProtocolViolation; other replies are not for a
 * connection at all.
 */
export function checkWebsocketReply(phase: WebsocketPhase, message: WorkerToServerMessage, offered: readonly string[]): void {
  switch (message.type) {
    case 'websocket.accept':
      if (phase !== 'connecting') throw new ProtocolViolation('"websocket.accept" only once, before anything else', message.type);
      if (message.subprotocol !== null && !offered.includes(message.subprotocol)) {
        throw new ProtocolViolation(`a subprotocol the client offered (${offered.join(', ') || 'none'})`, `subprotocol "${message.subprotocol}"`);
      }
      return;
    case 'websocket.send':
      if (phase === 'connecting') throw new ProtocolViolation('"websocket.accept" before "websocket.send"', message.type);
      return;
    case 'websocket.close':
    case 'websocket.done':
      return;
    default:
      throw new ProtocolViolation('a websocket.* message', message.type);
  }
}

/**
 * `websocket.done` ends the event in progress and may carry the connection's state: a
 * ProtocolViolation when no event was in progress or the state is larger than `maxBytes`.
 */
export function checkDone(events: EventSequence, state: Record<string, unknown> | undefined, maxBytes: number): void {
  if (!events.done()) throw new ProtocolViolation('"websocket.done" only for an event in progress', 'websocket.done');
  if (state !== undefined && !encodesWithin(state, maxBytes)) throw new ProtocolViolation(`state of at most ${maxBytes} bytes`, `${encodedSize(state)} bytes`);
}
