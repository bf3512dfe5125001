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
  // 16 bytes of trace id, 8 of parent id, 48 hex digits in one native call.
  const hex = randomHex(24);
  return `00-${hex.slice(0, 32)}-${hex.slice(32)}-01`;
}

/**
 * Random bytes drawn from the system's generator a pool at a time, not a call per trace: ids
 * must be unique and evenly spread (samplers read their bits), and a crypto call per request
 * cost more than the rest of the request's scope.
 */
const pool = new Uint8Array(4096);
let used = pool.length;

function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  used += bytes;
  return Buffer.from(pool.buffer, used - bytes, bytes).toString('hex');
}

/** The trace id of a traceparent (for log lines). */
export function traceId(traceparent: string): string {
  return traceparent.slice(3, 35);
}
