import { Queue } from 'bullmq';
import { describeTarget, scanKeys, type RedisClient } from '../../channel-layer/index.js';
import type { WireMessage } from '../../schemas/index.js';
import type { App } from '../app.js';
import { closeQueues, connected, queuePrefix, senderConnection, type DurableConfig } from './connection.js';
import { bullJobId, fromJobData } from './job-data.js';
import { DurableSender } from './sender.js';

export interface DurableCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

/** A job that used up its attempts (or failed its schema), with the error kept. */
export interface DeadLetter {
  id: string;
  message: WireMessage;
  error: string;
  stacktrace: string[];
  attempts: number;
  failedAt: Date | undefined;
}

/** Reads durable channels' state: counts for `switchyard status`, the dead-letter set, retries. */
export class DurableAdmin {
  private readonly redis: RedisClient;
  private readonly queues = new Map<string, Queue>();

  /** What a failure names: the URL without its password. */
  private readonly what: string;

  constructor(private readonly config: DurableConfig) {
    this.redis = senderConnection(config);
    this.what = `durable channels at ${describeTarget(config)}`;
  }

  /** Durable channels that have a queue in this Redis (found by SCAN, never KEYS). */
  async channels(): Promise<string[]> {
    await connected(this.redis, this.what);
    const prefix = `${queuePrefix(this.config)}:`;
    const names = new Set<string>();
    await scanKeys(this.redis, `${prefix}*:meta`, async (keys) => {
      for (const key of keys) names.add(key.slice(prefix.length, -':meta'.length));
    });
    return [...names].sort();
  }

  async counts(channel: string): Promise<DurableCounts> {
    await connected(this.redis, this.what);
    const counts = await this.queue(channel).getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    return { waiting: counts.waiting ?? 0, active: counts.active ?? 0, delayed: counts.delayed ?? 0, completed: counts.completed ?? 0, failed: counts.failed ?? 0 };
  }

  async deadLetters(channel: string, { from = 0, to = 99 } = {}): Promise<DeadLetter[]> {
    await connected(this.redis, this.what);
    const jobs = await this.queue(channel).getFailed(from, to);
    return jobs.map((job) => ({
      id: job.id!,
      message: fromJobData(job.data),
      error: job.failedReason,
      stacktrace: job.stacktrace ?? [],
      attempts: job.attemptsMade,
      failedAt: job.finishedOn ? new Date(job.finishedOn) : undefined,
    }));
  }

  /** Runs a dead letter again, its attempts starting over. `jobId` as sent or as listed. */
  async retry(channel: string, jobId: string): Promise<void> {
    await connected(this.redis, this.what);
    const job = (await this.queue(channel).getJob(jobId)) ?? (await this.queue(channel).getJob(bullJobId(jobId)));
    if (job === undefined) throw new Error(`no job ${jobId} on durable channel "${channel}"`);
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  }

  async close(): Promise<void> {
    await closeQueues(this.queues.values(), this.redis);
  }

  private queue(channel: string): Queue {
    let queue = this.queues.get(channel);
    if (queue === undefined) {
      queue = new Queue(channel, { connection: this.redis, prefix: queuePrefix(this.config) });
      queue.on('error', () => {});
      this.queues.set(channel, queue);
    }
    return queue;
  }
}

/**
 * Sends to an app's durable channels from outside any consumer (a script, another service),
 * with each channel's retry settings: `await durableSender(app, { url, prefix }).send('mail', msg)`.
 */
export function durableSender(app: App, config: DurableConfig): DurableSender {
  const durable = [...app.channels.values()].filter((c) => c.durable !== undefined);
  return new DurableSender(config, new Map(durable.map((c) => [c.name, c.durable!])));
}
