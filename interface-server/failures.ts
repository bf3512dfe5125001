import { ChannelFull, LayerClosed, LayerUnavailable } from '../channel-layer/index.js';
import type { Logger } from 'pino';
import { MessageValidationError } from '../schemas/index.js';

/** A worker did not answer in time. */
export class WorkerTimeout extends Error {
  override readonly name = 'WorkerTimeout';
}

/** A worker sent a valid message at the wrong moment (e.g. a body before the start). */
export class ProtocolViolation extends Error {
  override readonly name = 'ProtocolViolation';
  constructor(expected: string, got: string) {
    super(`expected ${expected}, got "${got}"`);
  }
}

/** The worker gave up on a response (`http.response.abort`). */
export class ResponseAborted extends Error {
  override readonly name = 'ResponseAborted';
  constructor(reason: string) {
    super(`the application aborted the response${reason ? `: ${reason}` : ''}`);
  }
}

/** No live worker takes the channel the request or connection would go to. */
export class NoWorker extends Error {
  override readonly name = 'NoWorker';
  constructor(channel: string) {
    super(`no live worker takes ${channel}`);
  }
}

/**
 * The channel's workers are too far behind to start a new request before its client gives up
 * (see http/backlog.ts). Logged once per episode by the backlog, not per request.
 */
export class Overloaded extends Error {
  override readonly name = 'Overloaded';
  constructor(channel: string) {
    super(`${channel} is too far behind to serve a new request in time`);
  }
}

/** A client kept sending past its connection's event queue (see EventSequence.add). */
export class QueueOverflow extends Error {
  override readonly name = 'QueueOverflow';
  constructor(waiting: number) {
    super(`${waiting} events already wait for this connection`);
  }
}

/** The client took longer than `limits.requestTimeoutMs` to send the body the server asked for. */
export class RequestTimeout extends Error {
  override readonly name = 'RequestTimeout';
}

/** The request body is larger than `limits.maxBodyBytes`. */
export class BodyTooLarge extends Error {
  override readonly name = 'BodyTooLarge';
}

interface Outcome {
  /** HTTP status for a response that has not started. */
  status: number;
  /** WebSocket close code for an open connection. */
  closeCode: number;
  /** Shown to the client; never internal detail. */
  reason: string;
  /** Extra response headers: when to try again, for what should pass. */
  headers: [string, string][];
}

/** A 503 is worth retrying soon: the channel drains, a worker starts, Redis returns. */
const RETRY_SOON: [string, string][] = [['retry-after', '1']];
const NONE: [string, string][] = [];

/**
 * The one table from failures to what the client sees. Anything not listed is a 500 / 1011.
 */
export function outcomeOf(error: unknown): Outcome {
  if (error instanceof ChannelFull) return { status: 503, closeCode: 1013, reason: 'server busy, try again later', headers: RETRY_SOON };
  if (error instanceof Overloaded) return { status: 503, closeCode: 1013, reason: 'server busy, try again later', headers: RETRY_SOON };
  if (error instanceof NoWorker) return { status: 503, closeCode: 1013, reason: 'no worker is running, try again later', headers: RETRY_SOON };
  if (error instanceof LayerUnavailable || error instanceof LayerClosed) {
    return { status: 503, closeCode: 1013, reason: 'service unavailable, try again later', headers: RETRY_SOON };
  }
  if (error instanceof WorkerTimeout) return { status: 504, closeCode: 1011, reason: 'no answer from the application in time', headers: NONE };
  if (error instanceof QueueOverflow) return { status: 503, closeCode: 1013, reason: 'too many messages waiting', headers: NONE };
  if (error instanceof RequestTimeout) return { status: 408, closeCode: 1011, reason: 'request timeout', headers: NONE };
  if (error instanceof BodyTooLarge) return { status: 413, closeCode: 1009, reason: 'request body too large', headers: NONE };
  return { status: 500, closeCode: 1011, reason: 'internal server error', headers: NONE };
}

/**
 * One log line per failed exchange or connection. A worker's malformed message names the
 * channel, the message type and the field, never the payload.
 */
export function logFailure(logger: Logger, error: unknown, context: { channel: string; reply_channel: string; path: string }): void {
  const on = context.channel;
  if (error instanceof Overloaded) return; // the backlog logs when the refusing begins and ends
  if (error instanceof MessageValidationError) {
    logger.error({ ...context, messageType: error.messageType, field: error.field }, `malformed message from the worker for ${on}: ${error.message}`);
  } else if (error instanceof ProtocolViolation) {
    logger.error(context, `out-of-order message from the worker for ${on}: ${error.message}`);
  } else if (error instanceof WorkerTimeout) {
    logger.warn(context, `no answer from a worker on ${on}: ${error.message}`);
  } else if (error instanceof ResponseAborted) {
    logger.warn(context, `${context.path} on ${on}: ${error.message}`);
  } else {
    logger.warn({ ...context, err: error }, `${context.path} on ${on} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
