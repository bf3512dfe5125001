export { CreditWindow } from './credit.js';
export { EventSequence } from './event-sequence.js';
export { httpPhaseAfter, type HttpReplyPhase } from './http-reply.js';
export { ProtocolViolation } from './protocol-violation.js';
export { checkDone, checkWebsocketReply, DEFAULT_STATE_MAX_BYTES, type WebsocketPhase } from './websocket-reply.js';
