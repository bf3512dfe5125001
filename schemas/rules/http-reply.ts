import type { WorkerToServerMessage } from '../directions.js';
import { ProtocolViolation } from './protocol-violation.js';

/**
 * Where an HTTP exchange is, as its replies drive it: `waiting` for the response to start,
 * `streaming` its body, `done`.
 */
export type HttpReplyPhase = 'waiting' | 'streaming' | 'done';

/**
 * The order rule of an HTTP exchange's replies: the phase after `message`, or a
 * ProtocolViolation when it may not come now. Hints and pushes only before the start; one
 * start (`http.response.start`, or a whole `http.response`); body chunks only after it; a pull
 * at any time; an abort ends it wherever it is.
 */
export function httpPhaseAfter(phase: HttpReplyPhase, message: WorkerToServerMessage): HttpReplyPhase {
  switch (message.type) {
    case 'http.request.pull':
      return phase;
    case 'http.response.early_hints':
    case 'http.response.push':
      expectPhase(phase, 'waiting', '"http.response.start"', message.type);
      return phase;
    case 'http.response.start':
      expectPhase(phase, 'waiting', '"http.response.body"', message.type);
      return 'streaming';
    case 'http.response':
      expectPhase(phase, 'waiting', '"http.response.body"', message.type);
      return 'done';
    case 'http.response.body':
      expectPhase(phase, 'streaming', '"http.response.start"', message.type);
      return message.more_body ? 'streaming' : 'done';
    case 'http.response.abort':
      return 'done';
    default:
      throw new ProtocolViolation(phase === 'waiting' ? '"http.response.start"' : '"http.response.body"', message.type);
  }
}

function expectPhase(phase: HttpReplyPhase, wanted: HttpReplyPhase, instead: string, got: string): void {
  if (phase !== wanted) throw new ProtocolViolation(instead, got);
}
