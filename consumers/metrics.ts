import { Counter, Gauge, type Registry } from 'prom-client';
import {
  inboxOf,
  type ChannelLayer,
  type Delivery,
  type GroupAddOptions,
  type GroupPosition,
  type LayerSendOptions,
  type PresenceEntry,
  type PresenceStats,
  type ReceiveOptions,
  type Recipient,
  type WireMessage,
} from '../channel-layer/index.js';
import { DurableAdmin } from './durable/admin.js';
import type { DurableConfig } from './durable/connection.js';

/** A worker's metrics, registered on the registry the admin port serves. */
export class WorkerMetrics {
  readonly messages: Counter<'channel'>;
  private readonly sent: Counter<'to'>;
  private named: ReadonlySet<string> = new Set();
  /** Children bound once per label value: a label lookup hashes its labels on every call. */
  private readonly tookFrom = new Map<string, Counter.Internal>();
  private readonly sentTo = new Map<string, Counter.Internal>();
  private admin: DurableAdmin | undefined;

  constructor(registry: Registry, busy: () => number, shed: { readonly expired: number; readonly late: number }, durable: { config: DurableConfig; channels: string[] } | undefined) {
    const registers = [registry];
    this.messages = new Counter({ name: 'switchyard_worker_messages_total', help: 'Messages this worker took, by channel', labelNames: ['channel'], registers });
    this.sent = new Counter({
      name: 'switchyard_worker_messages_sent_total',
      help: 'Messages consumers sent: to an app channel (by name, durable ones included), to reply channels ("reply"), to groups ("group"), elsewhere ("other")',
      labelNames: ['to'],
      registers,
    });
    new Counter({
      name: 'switchyard_worker_requests_shed_total',
      help: 'HTTP requests not run because their client had stopped waiting ("expired", dropped) or would have before they finished ("late", answered 503)',
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        this.inc({ reason: 'expired' }, shed.expired);
        this.inc({ reason: 'late' }, shed.late);
      },
    });
    new Gauge({
      name: 'switchyard_worker_busy_ratio',
      help: 'Consumers running ÷ concurrency',
      registers,
      collect() {
        this.set(busy());
      },
    });
    if (durable === undefined || durable.channels.length === 0) return;
    const admin = (this.admin = new DurableAdmin(durable.config));
    new Gauge({
      name: 'switchyard_durable_jobs',
      help: 'Jobs of durable channels, by state (waiting, active, delayed, completed, failed)',
      labelNames: ['channel', 'state'],
      registers,
      async collect() {
        for (const channel of durable.channels) {
          const counts = await admin.counts(channel).catch(() => undefined);
          for (const [state, n] of Object.entries(counts ?? {})) this.set({ channel, state }, n);
        }
      },
    });
  }

  /** `layer`, counting what goes out through it; `named` are the channels counted by name. */
  counting(layer: ChannelLayer, named: ReadonlySet<string>): ChannelLayer {
    this.named = named;
    return new CountingLayer(layer, this);
  }

  /** One message sent to `channel`: reply channels and unknown names by kind, never one label each. */
  countSent(channel: string): void {
    this.sentCounter(channel.includes('!') ? 'reply' : this.named.has(channel) ? channel : 'other').inc();
  }

  /** One message sent to a group (rooms are too many to name). */
  countGroupSent(): void {
    this.sentCounter('group').inc();
  }

  /** One message taken from `channel` (one the worker consumes: few). */
  took(channel: string): void {
    let counter = this.tookFrom.get(channel);
    if (counter === undefined) this.tookFrom.set(channel, (counter = this.messages.labels({ channel })));
    counter.inc();
  }

  private sentCounter(to: string): Counter.Internal {
    let counter = this.sentTo.get(to);
    if (counter === undefined) this.sentTo.set(to, (counter = this.sent.labels({ to })));
    return counter;
  }

  /** Closes the durable queues' connection (a worker that stops must not be kept alive by it). */
  async close(): Promise<void> {
    await this.admin?.close();
  }
}

/** A layer that counts each send on the way through. */
class CountingLayer implements ChannelLayer {
  constructor(
    private readonly layer: ChannelLayer,
    private readonly metrics: WorkerMetrics,
  ) {}

  get available(): boolean {
    return this.layer.available;
  }

  send(channel: string, message: WireMessage, options?: LayerSendOptions): Promise<void> {
    this.metrics.countSent(channel);
    return this.layer.send(channel, message, options);
  }

  groupSend(group: string, message: WireMessage): Promise<GroupPosition | undefined> {
    this.metrics.countGroupSent();
    return this.layer.groupSend(group, message);
  }

  receive(channels: readonly string[], options?: ReceiveOptions): Promise<Delivery[]> {
    return this.layer.receive(channels, options);
  }
  newChannel(hint?: string): Promise<string> {
    return this.layer.newChannel(hint);
  }
  hasReceivers(channel: string): true | Promise<boolean> {
    return this.layer.hasReceivers(channel);
  }
  openChannel(recipient: Recipient, hint?: string): string {
    return this.layer.openChannel(recipient, hint);
  }
  releaseChannel(channel: string): void {
    this.layer.releaseChannel(channel);
  }
  groupAdd(group: string, channel: string, options?: GroupAddOptions): Promise<void> {
    return this.layer.groupAdd(group, channel, options);
  }
  groupDiscard(group: string, channel: string): Promise<void> {
    return this.layer.groupDiscard(group, channel);
  }
  groupMembers(group: string): Promise<string[]> {
    return this.layer.groupMembers(group);
  }
  groupSize(group: string): Promise<number> {
    return this.layer.groupSize(group);
  }
  presence(group: string): Promise<PresenceEntry[]> {
    return this.layer.presence(group);
  }
  presenceStats(group: string): Promise<PresenceStats> {
    return this.layer.presenceStats(group);
  }
  flush(): Promise<void> {
    return this.layer.flush();
  }
  close(): Promise<void> {
    return this.layer.close();
  }
}
