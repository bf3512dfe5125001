import { once } from 'node:events';
import calculateSlot from 'cluster-key-slot';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError, decodeEnvelope, encodeEnvelope, encodeGroupEnvelope, encodeGroupParts, targetOfUnreadable, WireFormatError } from '../../schemas/index.js';
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
import { decodePresence, encodePresence, HistoryRules, newEpoch, presenceEvent, presenceStats, type HistoryRule } from '../history.js';
import { historyMemberError } from '../memory/layer.js';
import { GroupFeeds, HISTORY_STATE_EXTRA_MS, positionNow } from './group-feeds.js';
import { systemClock, type Clock } from '../clock.js';
import { ChannelFull, InvalidName, LayerClosed, LayerUnavailable, LayoutMismatch } from '../errors.js';
import { LinkedAbort, unlimited } from '../linked-abort.js';
import { LocalChannels } from '../local-channels.js';
import { assertChannelName, assertGroupName, inboxOf } from '../names.js';
import { CapacityTable, parseLayerOptions } from '../options.js';
import { ProcessChannels } from '../process-channels.js';
import { assertMessage } from '../validate.js';
import { BatchedSender } from './batched-sender.js';
import { PopPool } from './pop-pool.js';
import { GroupLeaver } from './group-leaver.js';
import { liveMembers, MemberLookups, type LiveMembers } from './live-members.js';
import { Liveness } from './liveness.js';
import type { Popped, Popper } from './blocking-pop.js';
import { describeTarget, isClusterTarget, openConnection, runEach, scanKeys, toLayerError, type CommandCall } from './connection.js';
import { ReplyError } from 'ioredis';
import { RedisKeys } from './keys.js';
import { redisLayerOptions, type RedisLayerOptions, type RedisLayerOptionsInput } from './options.js';
import { defineScripts, type ScriptedRedis } from './scripts.js';

export { redisLayerOptions, type RedisLayerOptions, type RedisLayerOptionsInput } from './options.js';

/** Counters of messages the layer dropped, for metrics. */
export interface LayerStats {
  expired: number;
  malformed: number;
  overflowed: number;
}

/**
 * How long a cluster send's receipt is kept: past the cluster client's own retries of a call
 * whose connection closed (16 redirections, 100 ms apart, and a slot refresh each).
 */
const SEND_RECEIPT_MS = 10_000;

/** How long a receive leaves out a slot whose pop failed before it tries that slot again. */
const FAILED_SLOT_REST_MS = 1_000;

/** How long an inbox pop waits on a connected server without failing before its list counts as read again. */
const INBOX_SETTLED_MS = 500;

/** Lists per channel on a cluster when `shards` is not set: one per primary of the smallest cluster. */
const DEFAULT_CLUSTER_SHARDS = 3;

/**
 * The production layer. Ordinary channels are Redis lists shared by every receiver; the
 * process-specific channels of this instance share one list (its inbox), read by one
 * blocking pop and demultiplexed in memory. On a cluster each is split into one list per shard
 * (keys.ts): a process sends to its home shard, so its own messages keep their order, except
 * those sent `unordered`, for which each turn takes the next shard; receivers pop every shard.
 * See keys.ts for the layout and lua/ for the atomic operations.
 */
export class RedisLayer implements ChannelLayer {
  readonly options: RedisLayerOptions;
  readonly keys: RedisKeys;
  readonly stats: LayerStats = { expired: 0, malformed: 0, overflowed: 0 };
  private readonly redis: ScriptedRedis;
  private readonly sender: BatchedSender;
  private readonly capacities: CapacityTable;
  private readonly histories: HistoryRules;
  /**
   * Rules of groups this process was told to follow (an interface server knows no app's rules):
   * what it sends to them itself (a member's leave) is recorded like the rest.
   */
  private readonly learnedRules = new Map<string, HistoryRule>();
  /** History sends made so far: each one's receipt is named by it (a cluster only). */
  private historyCalls = 0;
  /** The groups with history this process's channels follow; made at the first follow. */
  private feeds: GroupFeeds | undefined;
  /** This process's inbox and the channels it holds (`held`; `recipients` for those from `openChannel`). */
  private readonly own: ProcessChannels;
  private readonly inbox: string;
  private readonly held: Set<string>;
  private readonly recipients: Map<string, Recipient>;
  private readonly local: LocalChannels;
  /** Groups each held channel is known to be in, so releasing it can leave them. */
  private readonly memberships = new Map<string, Set<string>>();
  private readonly pops: PopPool;
  private readonly liveness: Liveness;
  private readonly leaver: GroupLeaver;
  private readonly receiving = new Set<Promise<unknown>>();
  /** Group sends and listings made together share one look at the members. */
  private readonly memberLookups = new MemberLookups((group) =>
    liveMembers(this.redis, this.keys, group, this.clock(), this.options.heartbeatTimeoutMs).catch(rethrowLayerError),
  );
  /** Every pending receive listens to it (through LinkedAbort): no listener limit. */
  private readonly closing = unlimited(new AbortController());
  private inboxReader: Promise<void> | undefined;
  private inboxAvailable = false;
  /** Inbox shards whose reader has lost Redis. */
  private readonly inboxFailing = new Set<number>();
  /** While the inbox is cut off from Redis: when its recipients are told so. */
  private outage: NodeJS.Timeout | undefined;
  /** Lists per channel (1 but on a cluster). */
  private readonly shards: number;
  /** The shard this process sends to; known once the namespace's layout is read (a cluster). */
  private home: number | undefined;
  private layoutRead: Promise<void> | undefined;
  private layoutError: LayoutMismatch | undefined;
  /** Sends waiting for the layout to be read; later sends queue behind them. */
  private awaitingLayout = 0;

  /** Where this process reads the time (clock.ts): send times, expiry, heartbeats. */
  private readonly clock: Clock;

  constructor(input: RedisLayerOptionsInput & { clock?: Clock } = {}) {
    const { clock = systemClock, ...rest } = input;
    this.clock = clock;
    this.options = parseLayerOptions(redisLayerOptions, rest, 'redis layer');
    if (isClusterTarget(this.options) && this.options.sentinels !== undefined) {
      throw new TypeError('invalid redis layer options: "cluster" and "sentinels" exclude each other (a cluster fails over by itself)');
    }
    const cluster = isClusterTarget(this.options);
    if (!cluster && (this.options.shards ?? 1) > 1) {
      throw new TypeError('invalid redis layer options: "shards" splits channels over the primaries of a cluster; one Redis server takes them whole');
    }
    this.shards = cluster ? (this.options.shards ?? DEFAULT_CLUSTER_SHARDS) : 1;
    this.home = cluster ? undefined : 0;
    this.keys = new RedisKeys(this.options.prefix, this.shards);
    this.capacities = new CapacityTable(this.options);
    this.histories = new HistoryRules(this.options);
    this.own = new ProcessChannels(this.options.processName, new Set(), new Map());
    ({ inbox: this.inbox, held: this.held, recipients: this.recipients } = this.own);
    this.local = new LocalChannels(this.options.expiryMs, clock);
    this.redis = defineScripts(openConnection(this.options, `${this.inbox}cmd`));
    this.sender = new BatchedSender(
      this.redis,
      this.options.expiryMs + 1000,
      cluster ? { key: (list, call) => this.keys.receipt(list, this.inbox, call), keepMs: SEND_RECEIPT_MS } : undefined,
    );
    this.pops = new PopPool(this.options, this.inbox, this.redis);
    this.liveness = new Liveness(this.redis, this.keys, this.inbox, this.options.heartbeatIntervalMs, this.options.heartbeatTimeoutMs, clock);
    this.leaver = new GroupLeaver(this.redis, this.keys.joined(this.inbox), (group, channel) => this.left(group, channel));
  }

  /** Resolves once Redis answers; rejects with LayerUnavailable after `timeoutMs`. */
  async waitUntilReady(timeoutMs = 10_000): Promise<void> {
    if (this.redis.status !== 'ready') await this.waitForConnection(timeoutMs);
    if (this.home === undefined) await this.knowLayout();
  }

  private async waitForConnection(timeoutMs: number): Promise<void> {
    const link = new LinkedAbort(AbortSignal.timeout(timeoutMs), this.closing.signal);
    try {
      await once(this.redis, 'ready', { signal: link.signal });
    } catch {
      this.assertOpen();
      throw new LayerUnavailable(`no connection to ${describeTarget(this.options)} within ${timeoutMs} ms`);
    } finally {
      link.dispose();
    }
  }

  get available(): boolean {
    return !this.closing.signal.aborted && this.redis.status === 'ready' && this.layoutError === undefined;
  }

  async send(channel: string, message: WireMessage, options?: LayerSendOptions): Promise<void> {
    assertChannelName(channel);
    assertMessage(message);
    this.assertAvailable();
    if (this.home === undefined || this.awaitingLayout > 0) (await this.layoutTurn())();
    const inbox = inboxOf(channel);
    const capacity = inbox === undefined ? this.capacities.capacityOf(channel) : this.options.inboxCapacity;
    return this.sender.send(this.keys.list(channel, this.shardFor(options?.unordered === true)), capacity, channel, encodeEnvelope(channel, message, this.clock()));
  }

  /** This process's home shard, or for an unordered message the shard of this turn. */
  private shardFor(unordered: boolean): number {
    const home = this.home!;
    return unordered && this.shards > 1 ? (home + this.sender.turns) % this.shards : home;
  }

  /**
   * Waits for the layout, behind every send already waiting for it, and resolves to the call that
   * ends the caller's turn, made just before it sends: a send made while earlier ones have not
   * yet sent waits behind them, so one process's sends keep their order.
   */
  private async layoutTurn(): Promise<() => void> {
    this.awaitingLayout++;
    try {
      await this.knowLayout();
    } catch (error) {
      this.awaitingLayout--;
      throw error;
    }
    return () => void this.awaitingLayout--;
  }

  /**
   * Reads the namespace's layout once (a cluster): the first process sets the number of shards,
   * the others check theirs against it; each takes the next home shard in turn, so that the
   * processes' own messages spread over the primaries.
   */
  private knowLayout(): Promise<void> {
    if (this.layoutError !== undefined) return Promise.reject(this.layoutError);
    this.layoutRead ??= this.readLayout().catch((error: unknown) => {
      this.layoutRead = undefined; // read again by the next caller
      throw error;
    });
    return this.layoutRead;
  }

  private async readLayout(): Promise<void> {
    const key = this.keys.layout;
    let stored: number;
    let counted = 0;
    try {
      await this.redis.hsetnx(key, 'shards', this.shards);
      stored = Number(await this.redis.hget(key, 'shards'));
      if (stored === this.shards) counted = await this.redis.hincrby(key, 'processes', 1);
    } catch (error) {
      throw layerFailure(error); // CLUSTERDOWN while a cluster forms is an outage; NOPERM is not
    }
    if (stored !== this.shards) {
      this.layoutError = new LayoutMismatch(this.options.prefix, stored, this.shards);
      this.options.onWarning?.(this.layoutError.message, this.layoutError);
      throw this.layoutError;
    }
    this.home = counted % this.shards;
  }

  async receive(channels: readonly string[], options: ReceiveOptions = {}): Promise<Delivery[]> {
    const { max, shared, local } = this.own.forReceive(channels, options.max);
    for (const channel of shared) this.liveness.receiving(channel);
    this.assertOpen();
    options.signal?.throwIfAborted();
    const ready = local.length > 0 ? this.local.take(local, max) : [];
    if (ready.length > 0) return ready;
    if (shared.length > 0 && this.home === undefined) await this.knowLayout();
    const link = new LinkedAbort(options.signal, this.closing.signal);
    const pending = shared.length > 0 ? this.receiveShared(shared, local, max, link.signal) : this.receiveLocal(local, max, link.signal);
    this.receiving.add(pending);
    try {
      return await pending;
    } finally {
      this.receiving.delete(pending);
      link.dispose();
    }
  }

  async newChannel(hint?: string): Promise<string> {
    this.assertOpen();
    const channel = this.own.create(hint);
    // A process making a channel for others to reach is alive: it says so if its last beat is
    // an interval old (the first channel starts the inbox, whose heartbeat beats at once), and
    // the channel is handed out once Redis has the beat, so another process that sends to it
    // next finds it alive (on a cluster, through other connections than this one's).
    await (this.inboxReader === undefined ? this.startInbox() : this.liveness.beatIfDue());
    return channel;
  }

  hasReceivers(channel: string): true | Promise<boolean> {
    if (inboxOf(channel) !== undefined) return this.held.has(channel) || Promise.resolve(false);
    return this.liveness.hasReceivers(channel);
  }

  openChannel(recipient: Recipient, hint?: string): string {
    this.assertOpen();
    const channel = this.own.create(hint, recipient);
    void this.startInbox();
    return channel;
  }

  releaseChannel(channel: string): void {
    const joinsGroups = this.recipients.get(channel)?.joinsGroups === true;
    if (!this.own.release(channel)) return;
    if (joinsGroups) this.leaver.add(channel);
    this.local.drop(channel);
    this.feeds?.release(channel);
    const groups = this.memberships.get(channel);
    if (groups === undefined) return;
    this.memberships.delete(channel);
    for (const group of groups) this.left(group, channel).catch(() => {});
  }

  async groupAdd(group: string, channel: string, options: GroupAddOptions = {}): Promise<void> {
    assertGroupName(group);
    assertChannelName(channel);
    const info = encodePresence(options.info);
    this.assertAvailable();
    const inbox = inboxOf(channel);
    const rule = this.histories.of(group);
    if (rule !== undefined && inbox === undefined) throw new InvalidName(historyMemberError(group, channel));
    // The member goes into the group on the group's slot; a process-specific one is also noted
    // in its process's joined hash, on that process's slot, so its holder can take it out.
    const added: Promise<unknown>[] = [
      this.redis.zadd(this.keys.group(group), this.clock(), channel),
      this.redis.hset(this.keys.presence(group), channel, `${options.announce === true ? 'a' : '-'}${info}`),
    ];
    if (inbox !== undefined) added.push(this.redis.switchyardGroupJoinedV1(this.keys.joined(inbox), channel, group, this.options.heartbeatTimeoutMs));
    // Its holder follows the group's history from here (or from `since`): told after the
    // sender's earlier messages to it, in their order.
    // It gets every message after the history's position now (`at`), or after an earlier one it
    // knows (`since`, or its holder's), whatever reaches its holder first.
    if (rule !== undefined) {
      added.push(
        positionNow(this.redis, this.keys, group, rule, this.clock()).then((at) =>
          this.control(channel, { type: FOLLOW, group, rule: { ...rule }, at, ...(options.since === undefined ? {} : { since: { ...options.since } }) }),
        ),
      );
    }
    await Promise.all(added).catch(rethrowLayerError);
    if (this.held.has(channel)) this.remember(channel, group);
    if (options.announce === true) await this.groupSend(group, presenceEvent('join', group, channel, options.info));
  }

  async groupDiscard(group: string, channel: string): Promise<void> {
    assertGroupName(group);
    assertChannelName(channel);
    this.assertAvailable();
    await this.left(group, channel).catch(rethrowLayerError);
    this.memberships.get(channel)?.delete(group);
  }

  /**
   * Takes `channel` out of `group`, with its presence record; its holder stops following the
   * group's history; its leave is announced if it asked.
   */
  private async left(group: string, channel: string): Promise<void> {
    const released = inboxOf(channel) === this.inbox && !this.held.has(channel); // it follows nothing any more
    const [record, , removed] = await Promise.all([
      this.redis.hget(this.keys.presence(group), channel),
      this.redis.zrem(this.keys.group(group), channel),
      this.redis.hdel(this.keys.presence(group), channel),
      this.ruleOf(group) === undefined || inboxOf(channel) === undefined || released ? undefined : this.control(channel, { type: UNFOLLOW, group }),
    ]);
    // Announced once, by whoever removed the record (a discard and a release may race).
    if (removed === 1 && record?.startsWith('a') === true) await this.groupSend(group, presenceEvent('leave', group, channel, decodePresence(record.slice(1))));
  }

  /** A message for the layer of the process holding `channel` (history.ts): handled there, not delivered. */
  private async control(channel: string, message: WireMessage): Promise<void> {
    if (this.held.has(channel)) {
      this.controlled(channel, message);
      return;
    }
    if (this.home === undefined || this.awaitingLayout > 0) (await this.layoutTurn())();
    await this.sender.send(this.keys.list(channel, this.home!), this.options.inboxCapacity, channel, encodeEnvelope(channel, message, this.clock()));
  }

  private controlled(channel: string, message: WireMessage): void {
    if (!this.held.has(channel) || typeof message.group !== 'string') return;
    if (message.type === FOLLOW) {
      if (this.closing.signal.aborted) return;
      // The sender's rule: this process (an interface server) may not know the app's.
      const rule = isRule(message.rule) ? message.rule : this.histories.of(message.group);
      if (rule === undefined) return;
      this.learnRule(message.group, rule);
      const asked = isPosition(message.since) ? message.since : this.recipients.get(channel)?.positionIn?.(message.group);
      this.followers().follow(message.group, rule, channel, asked ?? (isPosition(message.at) ? message.at : undefined), asked !== undefined);
      this.remember(channel, message.group);
    } else this.feeds?.unfollow(message.group, channel);
  }

  private ruleOf(group: string): HistoryRule | undefined {
    return this.histories.of(group) ?? this.learnedRules.get(group);
  }

  private learnRule(group: string, rule: HistoryRule): void {
    if (this.learnedRules.size >= MAX_LEARNED_RULES) this.learnedRules.clear();
    this.learnedRules.set(group, { size: rule.size, maxAgeMs: rule.maxAgeMs });
  }

  private followers(): GroupFeeds {
    this.feeds ??= new GroupFeeds(
      this.redis,
      // Its subscriptions wait for a connection, and are made again after each reconnect.
      openConnection(this.options, `${this.inbox}feed`, { enableOfflineQueue: true, maxRetriesPerRequest: null, autoResendUnfulfilledCommands: true }),
      this.keys,
      {
        // Sent long ago, maybe, but asked for now: not subject to the channels' expiry.
        deliver: (channel, message, group, position) => void this.deliverLocally(channel, message, this.clock(), group, position),
        followed: (channel, group, position, missed) => this.recipients.get(channel)?.followed?.(group, position, missed),
        warn: (line, error) => {
          try {
            this.options.onWarning?.(line, error);
          } catch {
            // a warning that cannot be told must not break delivery
          }
        },
      },
      this.clock,
    );
    return this.feeds;
  }

  /**
   * One envelope per process that holds live members (it fans out to them itself), pushed to
   * its inbox on the inbox's slot; an ordinary-channel member takes the message as a send to it
   * would, within its own capacity. A full inbox or channel misses it. Cost: O(processes), not
   * O(members), and every command on one slot.
   */
  async groupSend(group: string, message: WireMessage): Promise<GroupPosition | undefined> {
    assertGroupName(group);
    assertMessage(message);
    this.assertAvailable();
    const rule = this.ruleOf(group);
    if (rule !== undefined) return this.recordAndPublish(group, rule, message);
    if (this.home === undefined || this.awaitingLayout > 0) (await this.layoutTurn())();
    const parts = encodeGroupParts(message, this.clock());
    const { byInbox, ordinary } = await this.liveMembers(group);
    const sends: Promise<void>[] = [];
    for (const [inbox, members] of byInbox) {
      sends.push(this.sender.send(this.keys.list(inbox, this.home!), this.options.inboxCapacity, inbox, encodeGroupEnvelope(parts, [group, ...members])).catch(skipWhenFull));
    }
    for (const channel of ordinary) {
      sends.push(this.sender.send(this.keys.list(channel, this.home!), this.capacities.capacityOf(channel), channel, encodeGroupEnvelope(parts, [group, channel])).catch(skipWhenFull));
    }
    await Promise.all(sends);
    return undefined;
  }

  /**
   * A group with history: one script on the group's slot records the message at its offset and
   * publishes it to the processes following the group (group-history-v1.lua). O(1) commands
   * whatever the members.
   */
  private async recordAndPublish(group: string, rule: HistoryRule, message: WireMessage): Promise<GroupPosition> {
    const [state, stream, now] = [this.keys.historyState(group), this.keys.history(group), this.clock()];
    const tail = [newEpoch(), now, rule.size, rule.maxAgeMs, rule.maxAgeMs + HISTORY_STATE_EXTRA_MS, this.keys.feed(group), encodeEnvelope(group, message, now)] as const;
    // On a cluster a receipt keeps a call the client sends again a single record (as send-v2.lua).
    const call = this.redis.isCluster
      ? this.redis.switchyardGroupHistoryV1(3, state, stream, this.keys.historyReceipt(group, this.inbox, ++this.historyCalls), 'send', ...tail, SEND_RECEIPT_MS)
      : this.redis.switchyardGroupHistoryV1(2, state, stream, 'send', ...tail);
    const [epoch, offset] = await call.catch(rethrowLayerError);
    return { epoch, offset: Number(offset) };
  }

  async presence(group: string): Promise<PresenceEntry[]> {
    const members = await this.groupMembers(group);
    if (members.length === 0) return [];
    const records = await this.redis.hmget(this.keys.presence(group), ...members).catch(rethrowLayerError);
    return members.map((channel, i) => ({ channel, info: decodePresence(records[i]?.slice(1)) }));
  }

  async presenceStats(group: string): Promise<PresenceStats> {
    return presenceStats(await this.presence(group));
  }

  async groupMembers(group: string): Promise<string[]> {
    assertGroupName(group);
    this.assertAvailable();
    const { byInbox, ordinary } = await this.liveMembers(group);
    return [...[...byInbox.values()].flat(), ...ordinary];
  }

  private liveMembers(group: string): Promise<LiveMembers> {
    return this.memberLookups.get(group);
  }

  async groupSize(group: string): Promise<number> {
    return (await this.groupMembers(group)).length;
  }

  /** Deletes the namespace's channels and groups by SCAN (never KEYS); liveness stays. */
  async flush(): Promise<void> {
    this.assertAvailable();
    await scanKeys(this.redis, this.keys.everything, async (found) => {
      // Liveness and the layout stay: who is alive, who receives where, and how channels are
      // split are not the namespace's content, and running processes go on relying on them.
      const doomed = found.filter((key) => key !== this.keys.alive && key !== this.keys.layout && !key.startsWith(this.keys.receiversPrefix));
      // One UNLINK per key: the keys of a batch lie in many slots, which a cluster takes one at a time.
      const results = await runEach(this.redis, doomed.map((key): CommandCall => ['unlink', key]));
      const failed = results.find(([error]) => error !== null);
      if (failed !== undefined) throw failed[0];
    }).catch(rethrowLayerError);
    this.local.clear();
  }

  async close(): Promise<void> {
    this.feeds?.close();
    if (this.closing.signal.aborted) return;
    this.closing.abort(new LayerClosed());
    this.outageOver();
    this.loseRecipients(new LayerClosed());
    await this.sender.drain();
    await Promise.allSettled([...this.receiving, this.inboxReader, this.liveness.stop(), this.leaver.flush()]);
    this.pops.closeAll();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private async receiveLocal(local: string[], max: number, signal: AbortSignal): Promise<Delivery[]> {
    if (!this.inboxAvailable) throw new LayerUnavailable('the inbox of this process cannot reach Redis');
    return this.local.wait(local, max, signal);
  }

  /**
   * Blocks on the shared lists and, if asked, on local channels at once. Whichever yields
   * first wins; the others are cancelled and whatever they took anyway is put back. On one
   * server all lists are one pop; on a cluster, one pop per hash slot (a command's keys must
   * share one: with shards, one per shard), raced the same way.
   */
  private async receiveShared(shared: string[], local: string[], max: number, signal: AbortSignal): Promise<Delivery[]> {
    this.assertAvailable();
    const channelOf = new Map(shared.flatMap((channel) => this.keys.lists(channel).map((key) => [key, channel] as const)));
    const groups = this.redis.isCluster ? bySlot([...channelOf.keys()]) : [[...channelOf.keys()]];
    this.pops.keepAtLeast(groups.length);
    const pops = groups.map(() => this.pops.acquire());
    let rotation = 0;
    // Within this receive, a slot whose pop failed (its primary down, on a cluster) rests a
    // while, and the receive goes on with the others: with shards every channel has a list on
    // every primary, and one lost primary must not stop what the others hold. It fails only when
    // every slot has failed. (A next receive tries every slot again.)
    const resting = new Map<number, number>();
    let lastFailure: unknown;
    try {
      for (;;) {
        const now = performance.now();
        const active = groups.flatMap((_, i) => ((resting.get(i) ?? 0) <= now ? [i] : []));
        if (active.length === 0) throw layerFailure(lastFailure);
        const race = new LinkedAbort(signal);
        const popping = active.map((i) => pops[i]!.pop(rotate(groups[i]!, rotation), max, race.signal));
        rotation++;
        const waiting = local.length > 0 ? this.local.wait(local, max, race.signal) : undefined;
        const wakeUp = active.length < groups.length ? sleep(Math.max(1, Math.min(...resting.values()) - now), undefined, { signal: race.signal }) : undefined;
        await Promise.race([...popping, ...(waiting ? [waiting] : []), ...(wakeUp ? [wakeUp] : [])].map((pending) => pending.then(noop, noop)));
        race.abort(RACE_DECIDED);
        const [waited, ...popped] = await Promise.allSettled([waiting ?? Promise.resolve([]), ...popping]);
        const fromLocal = waited!.status === 'fulfilled' ? waited!.value : [];
        let room = signal.aborted ? 0 : Math.max(0, max - fromLocal.length);
        const fromShared: Delivery[] = [];
        for (const result of popped) {
          if (result.status !== 'fulfilled' || result.value === null) continue;
          const entries = this.decodeShared(result.value, channelOf);
          const kept = entries.slice(0, room);
          room -= kept.length;
          fromShared.push(...kept.map((entry) => entry.delivery));
          if (entries.length > kept.length) await this.requeue(result.value[0], entries.slice(kept.length));
        }
        if (signal.aborted) {
          if (fromLocal.length > 0) this.local.restore(fromLocal);
          throw signal.reason;
        }
        popped.forEach((result, j) => {
          if (result.status !== 'rejected' || result.reason === RACE_DECIDED) return;
          lastFailure = result.reason;
          resting.set(active[j]!, performance.now() + FAILED_SLOT_REST_MS);
        });
        for (const [i, until] of resting) if (until <= performance.now()) resting.delete(i);
        const deliveries = [...fromLocal, ...fromShared];
        if (deliveries.length > 0) return deliveries;
        if (resting.size === groups.length) throw layerFailure(lastFailure);
        if (waited!.status === 'rejected' && waited!.reason !== RACE_DECIDED) throw waited!.reason;
      }
    } finally {
      for (const pop of pops) this.pops.release(pop);
    }
  }

  private decodeShared([key, elements]: Popped, channelOf: Map<string, string>): SharedEntry[] {
    const channel = channelOf.get(key)!;
    const oldest = this.clock() - this.options.expiryMs;
    const entries: SharedEntry[] = [];
    for (const element of elements) {
      const envelope = this.decode(element, channel);
      if (envelope === undefined) continue;
      if (envelope.sentAt < oldest) {
        this.stats.expired++;
        continue;
      }
      // An ordinary channel's group messages carry [group, channel] as their target.
      const delivery: Delivery = typeof envelope.target === 'string' ? { channel, message: envelope.message } : { channel, message: envelope.message, group: envelope.target[0]! };
      entries.push({ element, delivery });
    }
    return entries;
  }

  /** Puts popped envelopes back at the head of their list, in their order. */
  private async requeue(key: string, entries: SharedEntry[]): Promise<void> {
    const elements = entries.map((entry) => entry.element).reverse();
    await this.redis.lpush(key, ...elements).catch(() => {
      this.options.onWarning?.(`lost ${elements.length} message(s) that could not be put back on ${key}`);
    });
  }

  /**
   * The envelope, or undefined for one that cannot be read (counted and logged); on the inbox,
   * the holder of the channel it was for hears of it, when its target can be read and is one
   * channel (a group's message is dropped, as a full inbox would drop it).
   */
  private decode(element: Buffer, where: string): ReturnType<typeof decodeEnvelope> | undefined {
    try {
      return decodeEnvelope(element);
    } catch (error) {
      if (!(error instanceof WireFormatError)) throw error;
      this.stats.malformed++;
      const target = where === this.inbox ? targetOfUnreadable(element) : undefined;
      const whose = target === undefined ? '' : ` for ${typeof target === 'string' ? target : `group ${target[0]} (${target.slice(1).join(', ')})`}`;
      this.options.onWarning?.(`dropped an unreadable message on ${where}${whose}: ${error.message}`, error);
      // Only a reply someone waits for is answered: a group message never fails its members.
      if (typeof target === 'string') this.tellUnreadable([target], error);
      return undefined;
    }
  }

  /** Starts reading the inbox, if not yet; resolves once the first heartbeat has landed. */
  private startInbox(): Promise<void> {
    if (this.inboxReader !== undefined) return Promise.resolve();
    const beaten = this.liveness.start();
    this.inboxAvailable = true; // until a failure says otherwise: receivers may wait for the first connect
    const readers = Array.from({ length: this.shards }, (_, shard) => this.readInbox(this.pops.create(this.shards === 1 ? 'inbox' : `inbox${shard}`), shard));
    this.inboxReader = Promise.all(readers).then(noop);
    return beaten;
  }

  /**
   * The one blocking read of this process's inbox (on a cluster, of its list on one shard: each
   * sender's messages to this process come by one shard, the sender's home), demultiplexed into
   * local channels.
   */
  private async readInbox(pop: Popper, shard: number): Promise<void> {
    const key = this.keys.list(this.inbox, shard);
    const stop = this.closing.signal;
    while (!stop.aborted) {
      if (!pop.ready) {
        await pop.whenReady(stop);
        continue;
      }
      // Reached once the pop answers, or has waited a while on a connected server without
      // failing: a node that answers every pop with an error (CLUSTERDOWN) is not back.
      let waiting: NodeJS.Timeout | undefined;
      const onWaiting = (): void => {
        waiting = setTimeout(() => this.inboxReached(shard), INBOX_SETTLED_MS);
      };
      try {
        const popped = await pop.pop([key], this.options.inboxBatch, stop, onWaiting);
        this.inboxReached(shard);
        if (popped !== null && !stop.aborted) this.demultiplex(popped[1]);
      } catch (error) {
        if (stop.aborted) break;
        this.inboxFailing.add(shard);
        this.inboxAvailable = false;
        const failure = layerFailure(error) as Error;
        this.local.rejectAll(failure);
        this.outageBegan(failure);
        await sleep(100, undefined, { signal: stop }).catch(noop); // no hot loop on a persistent error
      } finally {
        clearTimeout(waiting);
      }
    }
  }

  /** The inbox's list on `shard` is read again; with every shard read, the outage is over. */
  private inboxReached(shard: number): void {
    this.inboxFailing.delete(shard);
    if (this.inboxFailing.size > 0) return;
    this.inboxAvailable = true;
    this.outageOver();
  }

  private demultiplex(elements: Buffer[]): void {
    const oldest = this.clock() - this.options.expiryMs;
    for (const element of elements) {
      const envelope = this.decode(element, this.inbox);
      if (envelope === undefined) continue;
      if (envelope.sentAt < oldest) {
        this.stats.expired++;
        continue;
      }
      if (typeof envelope.target === 'string') {
        if (envelope.message.type === FOLLOW || envelope.message.type === UNFOLLOW) this.controlled(envelope.target, envelope.message);
        else this.deliverLocally(envelope.target, envelope.message, envelope.sentAt);
        continue;
      }
      const [group, ...members] = envelope.target as string[];
      for (const member of members) {
        if (this.deliverLocally(member, envelope.message, envelope.sentAt, group)) this.remember(member, group!);
        else if (!this.held.has(member)) this.redis.zrem(this.keys.group(group!), member).catch(noop);
      }
    }
  }

  /** Tells the holders of `channels` that a message for them could not be read. */
  private tellUnreadable(channels: readonly string[], why: WireFormatError): void {
    for (const channel of channels) {
      try {
        this.recipients.get(channel)?.unreadable?.(why);
      } catch (error) {
        this.options.onWarning?.(`the recipient of ${channel} failed on an unreadable message: ${describeError(error)}`, error);
      }
    }
  }

  /** Messages for released channels are dropped; a full local buffer drops the newest. */
  private deliverLocally(channel: string, message: WireMessage, sentAt: number, group?: string, position?: GroupPosition): boolean {
    const recipient = this.recipients.get(channel);
    if (recipient !== undefined) {
      try {
        recipient.deliver(message, group, position);
      } catch (error) {
        this.options.onWarning?.(`the recipient of ${channel} failed on a "${message.type}" message: ${describeError(error)}`, error);
      }
      return true;
    }
    if (!this.held.has(channel)) return false;
    if (!this.local.push(channel, message, sentAt, this.capacities.capacityOf(channel), group)) this.stats.overflowed++;
    return true;
  }

  /**
   * The inbox lost Redis. Recipients that ride out outages keep their channels for
   * `outageGraceMs` (their own sends fail meanwhile, and they may try again): if Redis is back
   * by then, the inbox is read again under the same name and they never hear of it; if not, they
   * are told it is lost. The others are told at once.
   */
  private outageBegan(failure: Error): void {
    if (this.outage !== undefined) return;
    this.loseRecipients(failure, true);
    this.outage = setTimeout(() => {
      this.outage = undefined;
      this.loseRecipients(failure);
    }, this.options.outageGraceMs);
    this.outage.unref();
  }

  private outageOver(): void {
    clearTimeout(this.outage);
    this.outage = undefined;
  }

  /** Tells every recipient that nothing more will come, and forgets their channels. */
  private loseRecipients(error: Error, onlyImpatient = false): void {
    const lost = [...this.recipients].filter(([, recipient]) => !onlyImpatient || recipient.ridesOutOutages !== true);
    for (const [channel] of lost) this.releaseChannel(channel);
    for (const [, recipient] of lost) recipient.lost(error);
  }

  private remember(channel: string, group: string): void {
    let groups = this.memberships.get(channel);
    if (groups === undefined) this.memberships.set(channel, (groups = new Set()));
    groups.add(group);
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new LayerClosed();
  }

  private assertAvailable(): void {
    this.assertOpen();
    if (this.redis.status !== 'ready') throw new LayerUnavailable(`not connected to ${describeTarget(this.options)} (${this.redis.status})`);
  }
}

interface SharedEntry {
  element: Buffer;
  delivery: Delivery;
}

/** Keys grouped by hash slot, in first-seen order (a cluster command takes keys of one slot). */
function bySlot(keys: string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const key of keys) {
    const slot = calculateSlot(key);
    if (groups.has(slot)) groups.get(slot)!.push(key);
    else groups.set(slot, [key]);
  }
  return [...groups.values()];
}

function rotate<T>(items: T[], by: number): T[] {
  const n = by % items.length;
  return n === 0 ? items : [...items.slice(n), ...items.slice(0, n)];
}

function noop(): void {}

/** Groups whose learned rule a process keeps (an interface server follows what it is told). */
const MAX_LEARNED_RULES = 10_000;

/** Control messages between layers (history.ts): the holder of a channel follows a group's history, or stops. */
const FOLLOW = 'layer.follow';
const UNFOLLOW = 'layer.unfollow';

function isRule(value: unknown): value is HistoryRule {
  return typeof value === 'object' && value !== null && Number.isInteger((value as HistoryRule).size) && Number.isInteger((value as HistoryRule).maxAgeMs);
}

function isPosition(value: unknown): value is GroupPosition {
  if (typeof value !== 'object' || value === null) return false;
  const { epoch, offset } = value as GroupPosition;
  return typeof epoch === 'string' && epoch !== '' && Number.isSafeInteger(offset) && offset >= 0;
}

/** Why the losing half of a mixed receive is cancelled. */
const RACE_DECIDED = Symbol('race decided');

/** Reply errors that say Redis is not there yet: a cluster failing over, a server loading its data. */
const TRANSIENT_REPLY = /^(CLUSTERDOWN|LOADING|TRYAGAIN|MASTERDOWN)\b/;

/**
 * Why a command of the layer's own failed: an outage (LayerUnavailable) for a lost connection
 * and for a transient reply error; any other reply error (NOPERM, a misconfiguration) as it is.
 */
function layerFailure(error: unknown): unknown {
  if (error instanceof ReplyError && TRANSIENT_REPLY.test((error as Error).message)) return new LayerUnavailable(describeError(error), { cause: error });
  return toLayerError(error);
}

function rethrowLayerError(error: unknown): never {
  throw toLayerError(error);
}

function skipWhenFull(error: unknown): void {
  if (!(error instanceof ChannelFull)) throw error;
}
