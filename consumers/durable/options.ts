import { z } from 'zod';
import { parseOptions } from '../../schemas/index.js';

/** How a durable channel retries, paces and keeps its jobs. Parsed once per channel. */
export const durableOptions = z.object({
  /** Runs in all, the first included. */
  attempts: z.number().int().positive().default(5),
  /** Wait before a retry: `delay * 2^(attempt-1)` (exponential) or `delay` (fixed), ± jitter. */
  backoff: z
    .object({
      type: z.enum(['exponential', 'fixed']).default('exponential'),
      delayMs: z.number().int().min(0).default(1_000),
      /** 0–1: the share of the delay that is random, so retries of many jobs spread out. */
      jitter: z.number().min(0).max(1).default(0.5),
    })
    .prefault({}),
  /** Jobs of this channel one worker process runs at once. */
  concurrency: z.number().int().positive().default(8),
  /** At most `max` jobs per `durationMs` across all workers. */
  rateLimit: z.object({ max: z.number().int().positive(), durationMs: z.number().int().positive() }).optional(),
  /** A job whose worker stops renewing its lock for this long (it died) runs again. */
  lockDurationMs: z.number().int().positive().default(30_000),
  /** How often workers look for jobs whose lock expired. */
  stalledIntervalMs: z.number().int().positive().default(30_000),
  /** Times a job may be re-run after its worker died before it counts as failed. */
  maxStalled: z.number().int().min(0).default(10),
  /** Completed jobs kept (for idempotent sends by job id and for status): this many, for this long. */
  keepCompleted: z.object({ count: z.number().int().min(0), ageMs: z.number().int().min(0) }).default({ count: 10_000, ageMs: 24 * 3600_000 }),
  /** Failed jobs (the dead-letter set) kept: this many. */
  keepFailed: z.number().int().min(0).default(100_000),
});

export type DurableOptions = z.infer<typeof durableOptions>;
export type DurableOptionsInput = z.input<typeof durableOptions>;

export interface SendOptions {
  /** Run no earlier than this many ms from now. */
  delayMs?: number;
  /** Idempotent sends: a job with this id is enqueued once, however often it is sent. */
  jobId?: string;
  /** The job's trace context; `ctx.send` passes the sending consumer's. */
  traceparent?: string | undefined;
}

/** A channel's durable options (`true`: the defaults), or a TypeError naming the channel and the option. */
export function parseDurableOptions(channel: string, input: DurableOptionsInput | true): DurableOptions {
  return parseOptions(durableOptions, input === true ? {} : input, `durable channel "${channel}"`);
}

/** BullMQ's own job options from ours. */
export function jobOptions(options: DurableOptions) {
  return {
    attempts: options.attempts,
    backoff: { type: options.backoff.type, delay: options.backoff.delayMs, jitter: options.backoff.jitter },
    removeOnComplete: { count: options.keepCompleted.count, age: Math.ceil(options.keepCompleted.ageMs / 1000) },
    removeOnFail: { count: options.keepFailed },
  };
}
