import { Queue } from 'bullmq';
import { ReplyError } from 'ioredis';
import { LayerUnavailable, type RedisClient } from '../../channel-layer/index.js';
import type { WireMessage } from '../../schemas/index.js';
import { closeQueues, connected, queuePrefix, senderConnection, type DurableConfig } from './connection.js';
import { bullJobId, JOB_ID_KEY, toJobData, TRACE_KEY } from './job-data.js';
import { jobOptions, type DurableOptions, type SendOptions } from './options.js';

/**
 * Enqueues messages on durable channels (one BullMQ queue each, named after the channel), with
 * the channel's retry settings. Used by `ctx.send` in workers and by `durableSender()` from
 * anywhere else.
 */
export class DurableSender {
  private readonly queues = new Map<string, Queue>();
  private readonly redis: RedisClient;

  constructor(
    private readonly config: DurableConfig,
    private readonly channels: ReadonlyMap<string, DurableOptions>,
  ) {
    this.redis = senderConnection(config);
  }

  has(channel: string): boolean {
    return this.channels.has(channel);
  }

  /** Resolves with the job's id once the job is stored in Redis; LayerUnavailable while Redis is away. */
  async send(channel: string, message: WireMessage, options: SendOptions = {}): Promise<string> {
    const queue = this.queue(channel);
    await connected(this.redis, `cannot enqueue on durable channel "${channel}"`);
    try {
      const data = toJobData(message);
      if (options.traceparent !== undefined) data[TRACE_KEY] = options.traceparent;
      const jobId = options.jobId === undefined ? undefined : bullJobId(options.jobId);
      if (jobId !== options.jobId) data[JOB_ID_KEY] = options.jobId;
      const job = await queue.add(message.type, data, {
        ...(options.delayMs ? { delay: options.delayMs } : {}),
        ...(jobId !== undefined ? { jobId } : {}),
      });
      return job.id!;
    } catch (error) {
      if (error instanceof ReplyError) throw error;
      throw new LayerUnavailable(`cannot enqueue on durable channel "${channel}": ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await closeQueues(this.queues.values(), this.redis);
  }

  private queue(channel: string): Queue {
    const options = this.channels.get(channel);
    if (options === undefined) throw new TypeError(`"${channel}" is not a durable channel of this app`);
    let queue = this.queues.get(channel);
    if (queue === undefined) {
      queue = new Queue(channel, { connection: this.redis, prefix: queuePrefix(this.config), defaultJobOptions: jobOptions(options) });
      queue.on('error', () => {}); // surfaced by add()
      this.queues.set(channel, queue);
    }
    return queue;
  }
}
