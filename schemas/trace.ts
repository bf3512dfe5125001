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
  return `00-${randomHex()}${randomHex()}${randomHex()}${randomHex()}-${randomHex()}${randomHex()}-01`;
}

/**
 * 8 random hex digits. Trace ids must be unique and evenly spread (samplers read their bits),
 * not secret: the runtime's fast generator serves, at a fraction of a crypto call per request.
 */
function randomHex(): string {
  return (((Math.random() * 0x100000000) >>> 0) + 0x100000000).toString(16).slice(1);
}

/** The trace id of a traceparent (for log lines). */
export function traceId(traceparent: string): string {
  return traceparent.slice(3, 35);
}
