import { wireCopy } from '../../schemas/index.js';
import type { ChannelLayer, Delivery, LayerSendOptions, ReceiveOptions, Recipient, WireMessage } from '../contract.js';
import { ChannelFull, LayerClosed } from '../errors.js';
import { assertChannelName, assertGroupName, inboxOf } from '../names.js';
import { CapacityTable, layerOptions, parseLayerOptions, type LayerOptions, type LayerOptionsInput } from '../options.js';
import { ProcessChannels } from '../process-channels.js';
import { assertMessage } from '../validate.js';
import { MemoryStore } from './store.js';

export interface MemoryLayerOptions extends LayerOptionsInput {
  /** Share one store between layers to model several processes on one backing. */
  store?: MemoryStore;
}

/**
 * The embedded layer for development and tests: everything in this process, no Redis.
 * The receiver gets what the wire codec would make of a message (`wireCopy`), so what works
 * here works over Redis: a copy, bytes as bytes, unencodable values failing at `send`.
 */
export class MemoryLayer implements ChannelLayer {
  readonly options: LayerOptions;
  readonly store: MemoryStore;
  private readonly capacities: CapacityTable;
  /** This process's inbox and channels, kept in the store every layer on it shares. */
  private readonly own: ProcessChannels;
  private readonly inbox: string;
  /** Closed: its pending receives were rejected by the store (no signal linked per receive). */
  private closed = false;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(input: MemoryLayerOptions = {}) {
    const { store, ...rest } = input;
    this.options = parseLayerOptions(layerOptions, rest, 'memory layer');
    this.store = store ?? new MemoryStore(this.options.expiryMs);
    this.capacities = new CapacityTable(this.options);
    this.own = new ProcessChannels(this.options.processName, this.store.held, this.store.recipients);
    this.inbox = this.own.inbox;
  }

  get available(): boolean {
    return !this.closed;
  }

  /** One process holds every message: order is kept whatever the options say. */
  async send(channel: string, message: WireMessage, _options?: LayerSendOptions): Promise<void> {
    assertChannelName(channel);
    assertMessage(message);
    this.assertOpen();
    const copy = wireCopy(message);
    if (inboxOf(channel) !== undefined) {
      if (this.store.recipients.has(channel)) return this.store.post(channel, copy, undefined);
      if (!this.store.held.has(channel)) return; // its holder is gone
    }
    if (!this.store.channels.push(channel, copy, this.store.clock(), this.capacities.capacityOf(channel))) {
      throw new ChannelFull(channel);
    }
  }

  async receive(channels: readonly string[], options: ReceiveOptions = {}): Promise<Delivery[]> {
    const { max, shared } = this.own.forReceive(channels, options.max);
    this.assertOpen();
    options.signal?.throwIfAborted();
    for (const channel of shared) this.receiveOn(channel);
    const ready = this.store.channels.take(channels, max);
    if (ready.length > 0) return ready;
    // Closing rejects this layer's waiters itself: no signal linked per receive.
    return this.store.channels.wait(channels, max, options.signal, this);
  }

  hasReceivers(channel: string): true | Promise<boolean> {
    const known = inboxOf(channel) === undefined ? (this.store.receivers.get(channel)?.size ?? 0) > 0 : this.store.held.has(channel);
    return known || Promise.resolve(false);
  }

  private receiveOn(channel: string): void {
    let layers = this.store.receivers.get(channel);
    if (layers === undefined) this.store.receivers.set(channel, (layers = new Set()));
    layers.add(this);
  }

  async newChannel(hint?: string): Promise<string> {
    this.assertOpen();
    const channel = this.own.create(hint);
    this.beat();
    return channel;
  }

  openChannel(recipient: Recipient, hint?: string): string {
    this.assertOpen();
    const channel = this.own.create(hint, recipient);
    if (this.heartbeat === undefined) this.beat();
    return channel;
  }

  releaseChannel(channel: string): void {
    if (!this.own.release(channel)) return;
    this.store.channels.drop(channel);
    for (const members of this.store.groups.values()) members.delete(channel);
  }

  async groupAdd(group: string, channel: string): Promise<void> {
    assertGroupName(group);
    assertChannelName(channel);
    this.assertOpen();
    let members = this.store.groups.get(group);
    if (members === undefined) this.store.groups.set(group, (members = new Set()));
    members.add(channel);
  }

  async groupDiscard(group: string, channel: string): Promise<void> {
    assertGroupName(group);
    assertChannelName(channel);
    this.assertOpen();
    const members = this.store.groups.get(group);
    members?.delete(channel);
    if (members?.size === 0) this.store.groups.delete(group);
  }

  async groupSend(group: string, message: WireMessage): Promise<void> {
    assertGroupName(group);
    assertMessage(message);
    this.assertOpen();
    // One copy for all members, as the Redis layer hands its local members one decoded envelope.
    const copy = wireCopy(message);
    const now = this.store.clock();
    for (const channel of this.liveMembers(group)) {
      if (inboxOf(channel) !== undefined) {
        if (this.store.recipients.has(channel)) {
          this.store.post(channel, copy, group);
          continue;
        }
        if (!this.store.held.has(channel)) continue;
      }
      this.store.channels.push(channel, copy, now, this.capacities.capacityOf(channel), group);
    }
  }

  async groupMembers(group: string): Promise<string[]> {
    assertGroupName(group);
    this.assertOpen();
    return this.liveMembers(group);
  }

  async groupSize(group: string): Promise<number> {
    return (await this.groupMembers(group)).length;
  }

  async flush(): Promise<void> {
    this.assertOpen();
    this.store.channels.clear();
    this.store.groups.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.heartbeat);
    this.closed = true;
    this.store.channels.rejectTagged(this, new LayerClosed());
    for (const layers of this.store.receivers.values()) layers.delete(this);
    // Like a process that exits: its channels vanish, its group memberships lapse by heartbeat.
    const lost = new LayerClosed();
    for (const channel of [...this.store.held]) {
      if (inboxOf(channel) === this.inbox) {
        const recipient = this.store.recipients.get(channel);
        this.own.release(channel);
        this.store.channels.drop(channel);
        recipient?.lost(lost);
      }
    }
  }

  /** Members held by a process that has beaten within the timeout; the rest are dropped. */
  private liveMembers(group: string): string[] {
    const members = this.store.groups.get(group);
    if (members === undefined) return [];
    const oldest = this.store.clock() - this.options.heartbeatTimeoutMs;
    const live: string[] = [];
    for (const channel of members) {
      const inbox = inboxOf(channel);
      if (inbox !== undefined && (this.store.alive.get(inbox) ?? -Infinity) < oldest) members.delete(channel);
      else live.push(channel);
    }
    return live;
  }

  private beat(): void {
    this.store.alive.set(this.inbox, this.store.clock());
    if (this.heartbeat === undefined) {
      this.heartbeat = setInterval(() => this.store.alive.set(this.inbox, this.store.clock()), this.options.heartbeatIntervalMs);
      this.heartbeat.unref();
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LayerClosed();
  }
}
