import { wireCopy } from '../../schemas/index.js';
import type {
  ChannelLayer,
  Delivery,
  GroupAddOptions,
  GroupPosition,
  LayerSendOptions,
  PresenceEntry,
  PresenceStats,
  ReceiveOptions,
  Recipient,
  WireMessage,
} from '../contract.js';
import { ChannelFull, InvalidName, LayerClosed } from '../errors.js';
import { decodePresence, encodePresence, HistoryRules, newEpoch, presenceEvent, presenceStats, recovery, type HistoryRule } from '../history.js';
import { assertChannelName, assertGroupName, inboxOf } from '../names.js';
import { CapacityTable, layerOptions, parseLayerOptions, type LayerOptions, type LayerOptionsInput } from '../options.js';
import { ProcessChannels } from '../process-channels.js';
import { assertMessage } from '../validate.js';
import { MemoryStore, type MemoryHistory } from './store.js';

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
  private readonly histories: HistoryRules;
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
    this.histories = new HistoryRules(this.options);
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
    for (const [group, members] of this.store.groups) if (members.delete(channel)) this.left(group, channel);
  }

  async groupAdd(group: string, channel: string, options: GroupAddOptions = {}): Promise<void> {
    assertGroupName(group);
    assertChannelName(channel);
    const info = encodePresence(options.info);
    this.assertOpen();
    const rule = this.histories.of(group);
    if (rule !== undefined && inboxOf(channel) === undefined) throw new InvalidName(historyMemberError(group, channel));
    let members = this.store.groups.get(group);
    if (members === undefined) this.store.groups.set(group, (members = new Set()));
    members.add(channel);
    let presence = this.store.presence.get(group);
    if (presence === undefined) this.store.presence.set(group, (presence = new Map()));
    presence.set(channel, { info, announce: options.announce === true });
    if (rule !== undefined) this.catchUp(group, channel, rule, options.since);
    if (options.announce === true) await this.groupSend(group, presenceEvent('join', group, channel, options.info));
  }

  /**
   * A member joining a group with history gets what it missed since its position (its own, or
   * the one its holder knows), then hears from where it follows; live messages come after.
   */
  private catchUp(group: string, channel: string, rule: HistoryRule, asked: GroupPosition | undefined): void {
    const history = this.history(group, rule);
    const recipient = this.store.recipients.get(channel);
    const since = asked ?? recipient?.positionIn?.(group);
    const first = history.entries[0]?.offset ?? history.last + 1;
    const { after, missed } = recovery(since, { epoch: history.epoch, first, last: history.last });
    const now = this.store.clock();
    for (const entry of history.entries) {
      if (entry.offset <= after) continue;
      if (recipient !== undefined) this.store.post(channel, entry.message, group, { epoch: history.epoch, offset: entry.offset });
      else this.store.channels.push(channel, entry.message, now, this.capacities.capacityOf(channel), group);
    }
    if (recipient !== undefined) this.store.postFollowed(channel, group, { epoch: history.epoch, offset: history.last }, missed);
  }

  /** A group's history, begun if it has none, with what its rule no longer keeps dropped. */
  private history(group: string, rule: HistoryRule): MemoryHistory {
    let history = this.store.histories.get(group);
    if (history === undefined) this.store.histories.set(group, (history = { epoch: newEpoch(), last: 0, entries: [] }));
    const oldest = this.store.clock() - rule.maxAgeMs;
    let drop = Math.max(0, history.entries.length - rule.size);
    while (drop < history.entries.length && history.entries[drop]!.at < oldest) drop++;
    if (drop > 0) history.entries.splice(0, drop);
    return history;
  }

  async groupDiscard(group: string, channel: string): Promise<void> {
    assertGroupName(group);
    assertChannelName(channel);
    this.assertOpen();
    const members = this.store.groups.get(group);
    if (members?.delete(channel) === true) this.left(group, channel);
    if (members?.size === 0) this.store.groups.delete(group);
  }

  /** A member is out of `group`: its presence goes, and its leave is announced if it asked. */
  private left(group: string, channel: string): void {
    const presence = this.store.presence.get(group);
    const entry = presence?.get(channel);
    presence?.delete(channel);
    if (presence?.size === 0) this.store.presence.delete(group);
    if (entry?.announce === true && !this.closed) void this.groupSend(group, presenceEvent('leave', group, channel, decodePresence(entry.info))).catch(() => {});
  }

  async groupSend(group: string, message: WireMessage): Promise<GroupPosition | undefined> {
    assertGroupName(group);
    assertMessage(message);
    this.assertOpen();
    // One copy for all members, as the Redis layer hands its local members one decoded envelope.
    const copy = wireCopy(message);
    const now = this.store.clock();
    const rule = this.histories.of(group);
    let position: GroupPosition | undefined;
    if (rule !== undefined) {
      const history = this.history(group, rule);
      position = { epoch: history.epoch, offset: ++history.last };
      history.entries.push({ offset: position.offset, at: now, message: copy });
      if (history.entries.length > rule.size) history.entries.shift();
    }
    for (const channel of this.liveMembers(group)) {
      if (inboxOf(channel) !== undefined) {
        if (this.store.recipients.has(channel)) {
          this.store.post(channel, copy, group, position);
          continue;
        }
        if (!this.store.held.has(channel)) continue;
      }
      this.store.channels.push(channel, copy, now, this.capacities.capacityOf(channel), group);
    }
    return position;
  }

  async groupMembers(group: string): Promise<string[]> {
    assertGroupName(group);
    this.assertOpen();
    return this.liveMembers(group);
  }

  async groupSize(group: string): Promise<number> {
    return (await this.groupMembers(group)).length;
  }

  async presence(group: string): Promise<PresenceEntry[]> {
    const members = await this.groupMembers(group);
    const records = this.store.presence.get(group);
    return members.map((channel) => ({ channel, info: decodePresence(records?.get(channel)?.info) }));
  }

  async presenceStats(group: string): Promise<PresenceStats> {
    return presenceStats(await this.presence(group));
  }

  async flush(): Promise<void> {
    this.assertOpen();
    this.store.channels.clear();
    this.store.groups.clear();
    this.store.histories.clear();
    this.store.presence.clear();
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
      if (inbox !== undefined && (this.store.alive.get(inbox) ?? -Infinity) < oldest) {
        members.delete(channel);
        this.store.presence.get(group)?.delete(channel); // a dead process announces nothing
      } else live.push(channel);
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

/** Why an ordinary channel cannot join a group with history. */
export function historyMemberError(group: string, channel: string): string {
  return `group ${group} keeps a history: its members must be connections' channels (process-specific, with "!"), not ${channel}`;
}
