import { UnrecoverableError, Worker as BullWorker, type Job } from 'bullmq';
import type { RedisClient } from '../../channel-layer/index.js';
import { traceId, type WireMessage } from '../../schemas/index.js';
import type { ChannelConsumer } from '../app.js';
import { compose } from '../middleware.js';
import { groupFunctions, CONSUMER_DONE, type Runtime } from '../runtime.js';
import type { ChannelContext } from '../types.js';
import { queuePrefix, workerConnection, type DurableConfig } from './connection.js';
import { fromJobData, JOB_ID_KEY, TRACE_KEY } from './job-data.js';
import type { DurableOptions } from './options.js';

/**
 * Runs the consumers of durable channels from their BullMQ queues: at least once. A failing
 * consumer is retried with the channel's backoff, a message that fails its schema goes
 * straight to the dead-letter (failed) set, and a job whose worker died runs again once its
 * lock expires. `stop()` finishes the jobs in hand.
 */
export class DurableRunner {
  private readonly workers: BullWorker[] = [];
  /** BullMQ does not close connections it was handed. */
  private readonly connections: RedisClient[] = [];

  constructor(
    private readonly runtime: Runtime,
    private readonly config: DurableConfig,
    private readonly channels: { consumer: ChannelConsumer; options: DurableOptions }[],
  ) {}

  start(): void {
    for (const { consumer, options } of this.channels) {
      const connection = workerConnection(this.config);
      this.connections.push(connection);
      const worker = new BullWorker(consumer.name, (job) => this.process(consumer, job), {
        connection,
        prefix: queuePrefix(this.config),
        concurrency: options.concurrency,
        lockDuration: options.lockDurationMs,
        stalledInterval: options.stalledIntervalMs,
        maxStalledCount: options.maxStalled,
        ...(options.rateLimit ? { limiter: { max: options.rateLimit.max, duration: options.rateLimit.durationMs } } : {}),
      });
      const name = `channel ${consumer.name}`;
      worker.on('failed', (job, error) => {
        const final = job !== undefined && (job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError);
        this.runtime.logger[final ? 'error' : 'warn'](
          { consumer: name, jobId: job?.id, attempt: job?.attemptsMade, err: error },
          final ? `${name}: job ${job?.id} moved to the dead-letter set: ${error.message}` : `${name}: job ${job?.id} failed, will retry: ${error.message}`,
        );
      });
      worker.on('error', (error) => this.runtime.logger.warn({ consumer: name, err: error }, `${name}: ${error.message}`));
      this.workers.push(worker);
    }
  }

  /** Finishes the jobs in hand and takes no more. */
  async stop(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
    for (const connection of this.connections) connection.disconnect();
  }

  private async process(consumer: ChannelConsumer, job: Job): Promise<void> {
    const { [TRACE_KEY]: traceparent, [JOB_ID_KEY]: sentId, ...fields } = fromJobData(job.data) as WireMessage & { [TRACE_KEY]?: string; [JOB_ID_KEY]?: string };
    const jobId = sentId ?? job.id;
    let message = fields as WireMessage;
    if (consumer.schema) {
      const checked = consumer.schema.safeParse(message);
      if (!checked.success) {
        const issue = checked.error.issues[0];
        throw new UnrecoverableError(`invalid "${message.type}" message: field "${issue?.path.join('.')}": ${issue?.message}`);
      }
      message = checked.data as WireMessage;
    }
    const consumerName = `channel ${consumer.name}`;
    const controller = new AbortController();
    const ctx: ChannelContext = {
      kind: 'channel',
      consumer: consumerName,
      channel: consumer.name,
      signal: controller.signal,
      traceparent,
      log: this.runtime.logger.child({ consumer: consumerName, jobId, attempt: job.attemptsMade + 1, ...(traceparent ? { trace_id: traceId(traceparent) } : {}) }),
      locals: { jobId, attempt: job.attemptsMade + 1 },
      send: (channel, next, options) => this.runtime.send(channel, next, { traceparent, ...options }),
      ...groupFunctions(this.runtime),
    };
    try {
      await compose(this.runtime.app.middleware, ctx, async () => {
        await consumer.handler(message, ctx);
      });
    } finally {
      controller.abort(CONSUMER_DONE);
    }
  }
}
