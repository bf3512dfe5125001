/**
 * The base of switchyard's own errors. Each says, besides its message, what the client of the
 * failed exchange or connection sees: the HTTP status if the response has not started, the
 * WebSocket close code if the connection is open, a reason without internal detail, and when
 * trying again is worth it. The interface server reads the outcome from the error (`outcomeOf`),
 * not from a table of classes. Anything else that fails is a 500 / 1011.
 */
export class SwitchyardError extends Error {
  /** Stable, for code and logs: `SWITCHYARD_…`. */
  readonly code: string = 'SWITCHYARD_ERROR';
  readonly status: number = 500;
  readonly closeCode: number = 1011;
  readonly clientReason: string = 'internal server error';
  /** Seconds after which trying again is worth it (a `Retry-After`), when it is. */
  readonly retryAfter: number | undefined = undefined;
}

/** An error's message for a log line, whatever was thrown. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
