import { SwitchyardError } from '../errors.js';

/**
 * A worker's message that is valid on its own but breaks the order of its exchange or session
 * (a body before the start, an accept after the handshake, a subprotocol the client never
 * offered…). The interface server answers 500 / closes 1011; the test kit throws it.
 */
export class ProtocolViolation extends SwitchyardError {
  override readonly name = 'ProtocolViolation';
  override readonly code = 'SWITCHYARD_PROTOCOL_VIOLATION';
  constructor(expected: string, got: string) {
    super(`expected ${expected}, got "${got}"`);
  }
}
