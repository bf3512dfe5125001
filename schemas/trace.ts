/**
 * W3C Trace Context (`traceparent: 00-<trace id>-<parent id>-<flags>`): kept from the
 * request when valid, made new otherwise, and carried in messages so a request can be
 * followed from the interface server into workers, their logs and the durable jobs they enqueue.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function isTraceparent(value: string | undefined): value is string {
  const match = value === undefined ? null : TRACEPARENT.exec(value.trim());
  return match !== null && !/^0+$/.test(match[1]!) && !/^0+$/.test(match[2]!);
}

export function newTraceparent(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  const hex = Buffer.from(bytes).toString('hex');
  return `00-${hex.slice(0, 32)}-${hex.slice(32, 48)}-01`;
}

/** The trace id of a traceparent (for log lines). */
export function traceId(traceparent: string): string {
  return traceparent.slice(3, 35);
}
