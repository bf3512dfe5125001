import type { WireMessage } from '../../schemas/index.js';

/** Where a job's trace context rides in its data, beside the message's own fields. */
export const TRACE_KEY = '$traceparent';

/** Where the id the sender chose rides, when BullMQ had to store it encoded (see bullJobId). */
export const JOB_ID_KEY = '$jobId';

/**
 * BullMQ stores job data as JSON. Messages may carry bytes (a Uint8Array would become an
 * object of numbered keys), so bytes travel as `{ "$bytes": "<base64>" }` and come back as
 * Buffers; everything else stays readable JSON for dashboards (bull-board).
 */
export function toJobData(message: WireMessage): Record<string, unknown> {
  const json = JSON.stringify(message, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
    if (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
      return { $bytes: Buffer.from((value as { data: number[] }).data).toString('base64') }; // a Buffer's own toJSON ran first
    }
    return value;
  });
  return JSON.parse(json) as Record<string, unknown>;
}

export function fromJobData(data: unknown): WireMessage {
  return JSON.parse(JSON.stringify(data), (_key, value: unknown) => {
    if (typeof value === 'object' && value !== null && typeof (value as { $bytes?: unknown }).$bytes === 'string' && Object.keys(value).length === 1) {
      return Buffer.from((value as { $bytes: string }).$bytes, 'base64');
    }
    return value;
  }) as WireMessage;
}

/**
 * A job id BullMQ accepts for any id a user picks: BullMQ refuses ids with ":" (its key
 * separator) and ids that look like integers (its own ids). Those are encoded; others pass
 * unchanged, so they read the same in dashboards.
 */
export function bullJobId(id: string): string {
  return /^\d+$/.test(id) || id.includes(':') ? `j_${Buffer.from(id).toString('base64url')}` : id;
}
