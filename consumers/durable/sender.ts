import { once } from 'node:events';
import { Queue } from 'bullmq';
import { ReplyError, type Redis } from 'ioredis';
import { LayerUnavailable } from '../../channel-layer/index.js';
import type { WireMessage } from '../../schemas/index.js';
import { queuePrefix, senderConnection, type DurableConfig } from './connection.js';
import { bullJobId, toJobData, TRACE_KEY } from './job-data.js';

/** How long a first send waits for a sender's first connection. */
const FIRST_CONNECT_MS = 5_000;
import { jobOptions, type DurableOptions, type SendOptions } from './options.js';

/**
 * Enqueues messages on durable channels (one BullMQ queue each, named after the channel), with
 * the channel's retry settings. Used by `ctx.send` in workers and by `durableSender()` from
 * anywhere else.
 */
export class DurableSender {
  private readonly queues = new Map<string, Queue>();
  private readonly redis: Redis;

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
    await this.connected(channel);
    try {
      const data = toJobData(message);
      if (options.traceparent !== undefined) data[TRACE_KEY] = options.traceparent;
      const job = await queue.add(message.type, data, {
        ...(options.delayMs ? { delay: options.delayMs } : {}),
        ...(options.jobId !== undefined ? { jobId: bullJobId(options.jobId) } : {}),
      });
      return job.id!;
    } catch (error) {
      if (error instanceof ReplyError) throw error;
      throw new LayerUnavailable(`cannot enqueue on durable channel "${channel}": ${(error as Error).message}`, { cause: error });
    }
  }

  /**
   * BullMQ waits for a connection's first 'ready' before its first command, for as long as it
   * takes: answer at once instead while Redis is away, and give a first connect a moment.
   */
  private async connected(channel: string): Promise<void> {
    const status = this.redis.status;
    if (status === 'ready') return;
    if (status === 'wait' || status === 'connecting' || status === 'connect') {
      const ready = once(this.redis, 'ready', { signal: AbortSignal.timeout(FIRST_CONNECT_MS) });
      const failed = once(this.redis, 'error').then(([error]) => Promise.reject(error as Error));
      ready.catch(() => {});
      failed.catch(() => {});
      try {
        await Promise.race([ready, failed]);
        return;
      } catch (error) {
        throw new LayerUnavailable(`cannot enqueue on durable channel "${channel}": Redis is not reachable`, { cause: error });
      }
    }
    throw new LayerUnavailable(`cannot enqueue on durable channel "${channel}": not connected to Redis (${status})`);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    this.redis.disconnect();
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
