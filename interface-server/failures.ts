import type { Logger } from 'pino';
import { describeError, MessageValidationError, ProtocolViolation, SwitchyardError } from '../schemas/index.js';

export { ProtocolViolation };

/** A worker did not answer in time. */
export class WorkerTimeout extends SwitchyardError {
  override readonly name = 'WorkerTimeout';
  override readonly code = 'SWITCHYARD_WORKER_TIMEOUT';
  override readonly status = 504;
  override readonly clientReason = 'no answer from the application in time';
}

/** The worker gave up on a response (`http.response.abort`). */
export class ResponseAborted extends SwitchyardError {
  override readonly name = 'ResponseAborted';
  override readonly code = 'SWITCHYARD_RESPONSE_ABORTED';
  constructor(reason: string) {
    super(`the application aborted the response${reason ? `: ${reason}` : ''}`);
  }
}

/** No live worker takes the channel the request or connection would go to. */
export class NoWorker extends SwitchyardError {
  override readonly name = 'NoWorker';
  override readonly code = 'SWITCHYARD_NO_WORKER';
  override readonly status = 503;
  override readonly closeCode = 1013;
  override readonly clientReason = 'no worker is running, try again later';
  override readonly retryAfter = 1;
  constructor(channel: string) {
    super(`no live worker takes ${channel}`);
  }
}

/**
 * The channel's workers are too far behind to start a new request before its client gives up
 * (see http/backlog.ts). Logged once per episode by the backlog, not per request.
 */
export class Overloaded extends SwitchyardError {
  override readonly name = 'Overloaded';
  override readonly code = 'SWITCHYARD_OVERLOADED';
  override readonly status = 503;
  override readonly closeCode = 1013;
  override readonly clientReason = 'server busy, try again later';
  override readonly retryAfter = 1;
  constructor(channel: string) {
    super(`${channel} is too far behind to serve a new request in time`);
  }
}

/** A client kept sending past its connection's event queue (see EventSequence.add). */
export class QueueOverflow extends SwitchyardError {
  override readonly name = 'QueueOverflow';
  override readonly code = 'SWITCHYARD_QUEUE_OVERFLOW';
  override readonly status = 503;
  override readonly closeCode = 1013;
  override readonly clientReason = 'too many messages waiting';
  constructor(waiting: number) {
    super(`${waiting} events already wait for this connection`);
  }
}

/** The client took longer than `limits.requestTimeoutMs` to send the body the server asked for. */
export class RequestTimeout extends SwitchyardError {
  override readonly name = 'RequestTimeout';
  override readonly code = 'SWITCHYARD_REQUEST_TIMEOUT';
  override readonly status = 408;
  override readonly clientReason = 'request timeout';
}

/** The request body is larger than `limits.maxBodyBytes`. */
export class BodyTooLarge extends SwitchyardError {
  override readonly name = 'BodyTooLarge';
  override readonly code = 'SWITCHYARD_BODY_TOO_LARGE';
  override readonly status = 413;
  override readonly closeCode = 1009;
  override readonly clientReason = 'request body too large';
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

const NONE: [string, string][] = [];
const INTERNAL = new SwitchyardError();

/** What the client sees of a failure: what the error says, or a 500 / 1011 for anything else. */
export function outcomeOf(error: unknown): Outcome {
  const known = error instanceof SwitchyardError ? error : INTERNAL;
  const headers: [string, string][] = known.retryAfter === undefined ? NONE : [['retry-after', String(known.retryAfter)]];
  return { status: known.status, closeCode: known.closeCode, reason: known.clientReason, headers };
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
    logger.warn({ ...context, err: error }, `${context.path} on ${on} failed: ${describeError(error)}`);
  }
}
