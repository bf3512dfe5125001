import { setTimeout as sleep } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { LayerClosed, LayerUnavailable, type ChannelLayer, type Delivery } from '../channel-layer/index.js';
import { parseOptions, type WireMessage } from '../schemas/index.js';
import type { Registry } from 'prom-client';
import type { App } from './app.js';
import { WorkerMetrics } from './metrics.js';
import { DurableRunner } from './durable/runner.js';
import { DurableSender } from './durable/sender.js';
import type { SendOptions } from './durable/options.js';
import { runHttp } from './http/run-http.js';
import { runChannel } from './run-channel.js';
import type { Runtime } from './runtime.js';
import { Admission } from './http/admission.js';
import { runWebSocketEvent } from './websocket/run-websocket.js';

/** The worker's options. Strict: a misspelt option fails. The descriptions are the README's reference. */
export const workerOptions = z.strictObject({
  concurrency: z.number().int().positive().default(64).describe('consumers running at once; the worker takes no more messages than it has room for'),
  timeoutMs: z.number().int().positive().default(30_000).describe('longest a consumer may run (500 / close 1011 past it)'),
  drainTimeoutMs: z.number().int().min(0).default(30_000).describe('on stop, how long running consumers may take to finish'),
  httpChannels: z.array(z.string()).default(['http.request']).describe("channels of HTTP requests to take (see the server's `routes`)"),
  websocketChannels: z.array(z.string()).default(['websocket']).describe("channels of WebSocket events to take (see the server's `routes`)"),
  logger: z.custom<Logger>((value) => typeof value === 'object' && value !== null && 'child' in value).optional().describe('a pino logger'),
  metrics: z
    .custom<Registry>((value) => typeof value === 'object' && value !== null && 'metrics' in value)
    .optional()
    .describe("a prom-client registry to record the worker's metrics on"),
  durable: z
    .strictObject({ url: z.string(), cluster: z.string().optional(), sentinels: z.string().optional(), sentinelMaster: z.string().optional(), sentinelPassword: z.string().optional(), prefix: z.string() })
    .optional()
    .describe('Redis for durable channels (BullMQ); without it they run as ordinary, at-most-once channels'),
});

export type WorkerOptions = z.infer<typeof workerOptions>;
export type WorkerOptionsInput = z.input<typeof workerOptions>;

/**
 * Pulls messages for every channel the app consumes, in batches no larger than its free
 * concurrency, and runs the consumers. Stateless: any number of workers share the work.
 */
export class Worker {
  readonly options: WorkerOptions;
  private readonly runtime: Runtime;
  private readonly channels: string[];
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly sender: DurableSender | undefined;
  private readonly durableRunner: DurableRunner | undefined;
  private readonly metrics: WorkerMetrics | undefined;
  private roomFreed: (() => void) | undefined;
  private handled = 0;
  private own: string | undefined;

  constructor(app: App, layer: ChannelLayer, input: WorkerOptionsInput = {}) {
    this.options = parseOptions(workerOptions, input, 'worker');
    const logger = this.options.logger ?? pino({ name: 'switchyard-worker' });
    const durable = [...app.channels.values()].filter((c) => c.durable !== undefined);
    const config = this.options.durable;
    if (durable.length > 0 && config === undefined) {
      logger.warn({ channels: durable.map((c) => c.name) }, 'no Redis for durable channels: they run as ordinary channels (at most once, no retries)');
    }
    if (durable.length > 0 && config !== undefined) {
      this.sender = new DurableSender(config, new Map(durable.map((c) => [c.name, c.durable!])));
    }
    const admission = new Admission();
    if (this.options.metrics) {
      const busy = (): number => this.running.size / this.options.concurrency;
      this.metrics = new WorkerMetrics(this.options.metrics, busy, admission.shed, config && this.sender ? { config, channels: durable.map((c) => c.name) } : undefined);
    }
    const consumerLayer = this.metrics?.counting(layer, new Set(app.channels.keys())) ?? layer;
    this.runtime = { app, layer: consumerLayer, logger, timeoutMs: this.options.timeoutMs, admission, send: (channel, message, options) => this.send(channel, message, options) };
    if (this.sender !== undefined && config !== undefined) {
      this.durableRunner = new DurableRunner(this.runtime, config, durable.map((consumer) => ({ consumer, options: consumer.durable! })));
    }
    this.channels = [
      ...(app.httpRoutes.length > 0 ? this.options.httpChannels : []),
      ...(app.websocketRoutes.length > 0 ? this.options.websocketChannels : []),
      ...[...app.channels.values()].filter((c) => this.sender === undefined || c.durable === undefined).map((c) => c.name),
    ];
  }

  /** Messages this worker has taken so far. */
  get taken(): number {
    return this.handled;
  }

  /** Runs the startup hooks, then starts taking messages. */
  async start(): Promise<void> {
    for (const hook of this.runtime.app.startupHooks) await hook();
    // A channel of its own starts this process's heartbeat: `switchyard status` counts live workers.
    this.own = await this.runtime.layer.newChannel('worker');
    this.durableRunner?.start();
    const durable = this.durableRunner === undefined ? [] : [...this.runtime.app.channels.values()].filter((c) => c.durable).map((c) => c.name);
    if (this.channels.length === 0 && durable.length === 0) {
      this.runtime.logger.warn('the app has no routes or channels: this worker has nothing to do');
      return;
    }
    if (this.channels.length > 0) this.loop = this.take();
    this.runtime.logger.info({ channels: this.channels, durable, concurrency: this.options.concurrency }, 'worker started');
  }

  /**
   * Drains: takes nothing new, lets running consumers finish (up to `drainTimeoutMs`), then
   * runs the shutdown hooks. Messages not yet taken stay on the layer for other workers.
   */
  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    this.roomFreed?.();
    await this.loop;
    const drained = Promise.allSettled([...this.running, this.durableRunner?.stop()]);
    const late = await Promise.race([drained.then(() => false), sleep(this.options.drainTimeoutMs, true)]);
    if (late) this.runtime.logger.warn({ running: this.running.size }, 'drain deadline passed with consumers still running');
    for (const hook of this.runtime.app.shutdownHooks) {
      await Promise.resolve(hook()).catch((error: unknown) => this.runtime.logger.error({ err: error }, 'a shutdown hook failed'));
    }
    await this.sender?.close();
    await this.metrics?.close();
    if (this.own !== undefined) this.runtime.layer.releaseChannel(this.own);
    this.runtime.logger.info({ handled: this.handled }, 'worker stopped');
  }

  /**
   * `ctx.send`: durable channels go to their queue; without Redis for them, a delayed send to
   * one waits here (at most once).
   */
  private async send(channel: string, message: WireMessage, options: SendOptions = {}): Promise<void> {
    if (this.sender?.has(channel)) {
      await this.sender.send(channel, message, options);
      this.metrics?.countSent(channel);
      return;
    }
    if (options.delayMs) setTimeout(() => void this.runtime.layer.send(channel, message).catch(() => {}), options.delayMs).unref();
    else await this.runtime.layer.send(channel, message);
  }

  private async take(): Promise<void> {
    const { layer, logger } = this.runtime;
    const signal = this.stopping.signal;
    let unavailable = false;
    while (!signal.aborted) {
      const room = this.options.concurrency - this.running.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => (this.roomFreed = resolve));
        continue;
      }
      let batch: Delivery[];
      try {
        batch = await layer.receive(this.channels, { max: room, signal });
        if (unavailable) logger.info('channel layer reachable again');
        unavailable = false;
      } catch (error) {
        if (signal.aborted || error instanceof LayerClosed) return;
        if (!(error instanceof LayerUnavailable)) throw error;
        if (!unavailable) logger.error({ err: error }, 'channel layer unavailable, retrying');
        unavailable = true;
        await sleep(250, undefined, { signal }).catch(() => {});
        continue;
      }
      for (const delivery of batch) this.run(delivery);
    }
  }

  private run({ channel, message }: Delivery): void {
    this.handled++;
    this.metrics?.took(channel);
    const { app } = this.runtime;
    const named = app.channels.get(channel);
    const work = named
      ? runChannel(this.runtime, named, message)
      : this.options.websocketChannels.includes(channel)
        ? runWebSocketEvent(this.runtime, message)
        : runHttp(this.runtime, message);
    const tracked = work
      .catch((error: unknown) => this.runtime.logger.error({ err: error, channel, type: message.type }, `could not handle a "${message.type}" message from ${channel}`))
      .finally(() => {
        this.running.delete(tracked);
        this.roomFreed?.();
        this.roomFreed = undefined;
      });
    this.running.add(tracked);
  }
}
