import { decodeEnvelope, describeError, WireFormatError } from '../../schemas/index.js';
import type { GroupPosition, Unrecoverable, WireMessage } from '../contract.js';
import { newEpoch, recovery, type HistoryRule, type HistoryState } from '../history.js';
import type { RedisClient } from './connection.js';
import type { RedisKeys } from './keys.js';
import type { ScriptedRedis } from './scripts.js';

/** Most messages one history read returns; a longer catch-up reads again. */
const READ_BATCH = 500;

/** How long a history's epoch outlives its last send, past its messages' own age. */
export const HISTORY_STATE_EXTRA_MS = 24 * 60 * 60 * 1000;

/** Where a member of a followed group stands. */
interface Member {
  /** The position it asked to recover from, until its first catch-up is done. */
  since: GroupPosition | undefined;
  /** Its epoch and the last offset it was given; unknown (empty epoch) until followed. */
  epoch: string;
  cursor: number;
  /** A read of the history for it is in flight: live messages wait for that read. */
  catchingUp: boolean;
}

interface Feed {
  group: string;
  rule: HistoryRule;
  members: Map<string, Member>;
  /** Messages heard on the subscription: a catch-up that heard some while it read reads again. */
  heard: number;
  /** The last message heard. */
  last: GroupPosition | undefined;
  /** Settles once the subscription is in place: reads wait for it, so what follows them is heard. */
  subscribed: Promise<unknown>;
  /** History reads in flight, by the offset read after: members at one position share one. */
  reads: Map<number, Promise<HistoryRead>>;
}

interface HistoryRead extends HistoryState {
  /** Messages after the offset read after; `message` undefined for one that could not be read. */
  entries: { offset: number; message: WireMessage | undefined }[];
}

/** Read after this when the member asks for nothing back: no entries, just the state. */
const NOTHING_TO_READ = Number.MAX_SAFE_INTEGER;

/**
 * A read of group-history-v1.lua: `[epoch, first, last, offset, envelope, …]` after `after`
 * (the history begun, with a new epoch, if it has none).
 */
function readHistory(redis: ScriptedRedis, keys: RedisKeys, group: string, rule: HistoryRule, now: number, after: number): Promise<(Buffer | number)[]> {
  return redis.switchyardGroupHistoryV1Buffer(2, keys.historyState(group), keys.history(group), 'read', newEpoch(), now, rule.size, rule.maxAgeMs, rule.maxAgeMs + HISTORY_STATE_EXTRA_MS, after, READ_BATCH);
}

/** Where a group's history stands now: a member joined now needs what comes after it. */
export async function positionNow(redis: ScriptedRedis, keys: RedisKeys, group: string, rule: HistoryRule, now: number): Promise<GroupPosition> {
  const [epoch, , last] = await readHistory(redis, keys, group, rule, now, NOTHING_TO_READ);
  return { epoch: epoch!.toString(), offset: Number(last) };
}

/** What the layer gives the feeds: how to reach a member, and how to report. */
export interface FeedOutlet {
  deliver(channel: string, message: WireMessage, group: string, position: GroupPosition): void;
  followed(channel: string, group: string, position: GroupPosition, missed: Unrecoverable | undefined): void;
  warn(line: string, error?: unknown): void;
}

/**
 * The groups with history that this process's channels follow. Messages come by pub/sub, one
 * subscription per group however many members, published by the script that records them
 * (group-history-v1.lua), so they arrive in offset order. A member gets offset n + 1 after n:
 * anything else is a gap (the subscription dropped, or the member is new) and the history
 * fills it, read after the member's own offset; members at the same offset share the read.
 * After the subscriber reconnects, every member is read up to date, so nothing published while
 * it was away is missed, even with no later message to show the gap.
 */
export class GroupFeeds {
  private readonly feeds = new Map<string, Feed>();
  /** Groups by their pub/sub channel. */
  private readonly byTopic = new Map<string, Feed>();
  private closed = false;
  private connectedOnce = false;
  /** Times the subscriber came back: a catch-up running across one reads again. */
  private resubscriptions = 0;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly subscriber: RedisClient,
    private readonly keys: RedisKeys,
    private readonly outlet: FeedOutlet,
    private readonly clock: () => number,
  ) {
    subscriber.on('messageBuffer', (topic: Buffer, payload: Buffer) => this.published(topic.toString(), payload));
    subscriber.on('ready', () => {
      if (!this.connectedOnce) {
        this.connectedOnce = true;
        return;
      }
      // ioredis subscribes again by itself, after 'ready': a PING answered comes after those
      // subscriptions. What was published meanwhile then comes from the history.
      subscriber
        .ping()
        .then(() => {
          this.resubscriptions++;
          for (const feed of this.feeds.values()) this.catchUpAll(feed);
        })
        .catch(() => {}); // gone again: the next 'ready' does it
    });
  }

  /**
   * `channel` follows `group` (under `rule`), from `since`. A channel that follows it already
   * goes on from where it is, unless `restart` (it asked for a position of its own).
   */
  follow(group: string, rule: HistoryRule, channel: string, since: GroupPosition | undefined, restart: boolean): void {
    if (this.closed) return;
    let feed = this.feeds.get(group);
    if (feed?.members.has(channel) === true && !restart) return;
    if (feed === undefined) {
      const subscribed = this.subscriber.subscribe(this.keys.feed(group)).catch((error: unknown) => this.outlet.warn(`cannot subscribe to group ${group}: ${describeError(error)}`, error));
      feed = { group, rule, members: new Map(), heard: 0, last: undefined, subscribed, reads: new Map() };
      this.feeds.set(group, feed);
      this.byTopic.set(this.keys.feed(group), feed);
    }
    const member: Member = { since, epoch: '', cursor: 0, catchingUp: false };
    feed.members.set(channel, member);
    void this.catchUp(feed, channel, member);
  }

  unfollow(group: string, channel: string): void {
    const feed = this.feeds.get(group);
    if (feed === undefined || !feed.members.delete(channel) || feed.members.size > 0) return;
    this.feeds.delete(group);
    this.byTopic.delete(this.keys.feed(group));
    this.subscriber.unsubscribe(this.keys.feed(group)).catch(() => {});
  }

  /** A released channel follows nothing any more. */
  release(channel: string): void {
    for (const feed of [...this.feeds.values()]) if (feed.members.has(channel)) this.unfollow(feed.group, channel);
  }

  close(): void {
    this.closed = true;
    this.feeds.clear();
    this.byTopic.clear();
    this.subscriber.disconnect();
  }

  /** A message published to a followed group: `<offset> <epoch> <envelope>`. */
  private published(topic: string, payload: Buffer): void {
    const feed = this.byTopic.get(topic);
    if (feed === undefined) return;
    const space = payload.indexOf(32);
    const second = payload.indexOf(32, space + 1);
    const offset = Number(payload.subarray(0, space).toString());
    const epoch = payload.subarray(space + 1, second).toString();
    const decoded = this.decode(feed.group, offset, payload.subarray(second + 1));
    feed.heard++;
    feed.last = { epoch, offset };
    for (const [channel, member] of feed.members) {
      if (member.catchingUp) continue; // its read ends by looking at what was heard meanwhile
      if (member.epoch !== epoch || offset > member.cursor + 1) {
        // A gap, or the history began again under this member: the history says what it missed.
        void this.catchUp(feed, channel, member);
      } else if (offset === member.cursor + 1) {
        member.cursor = offset;
        if (decoded !== undefined) this.outlet.deliver(channel, decoded, feed.group, { epoch, offset });
      }
    }
  }

  /** An envelope of the group's, or undefined (reported) for one that cannot be read: it is skipped. */
  private decode(group: string, offset: number, bytes: Buffer): WireMessage | undefined {
    try {
      return decodeEnvelope(bytes).message;
    } catch (error) {
      if (!(error instanceof WireFormatError)) throw error;
      this.outlet.warn(`skipped an unreadable message of group ${group} at offset ${offset}: ${error.message}`, error);
      return undefined;
    }
  }

  private catchUpAll(feed: Feed): void {
    for (const [channel, member] of feed.members) if (!member.catchingUp) void this.catchUp(feed, channel, member);
  }

  /**
   * Brings one member up to date from the history: on its first follow from the position it
   * asked for (or from now), then told where it stands; later from its own offset, after a gap.
   * It ends once the member has everything this process has heard published, and the
   * subscriber has not come back meanwhile.
   */
  private async catchUp(feed: Feed, channel: string, member: Member): Promise<void> {
    member.catchingUp = true;
    // What the member is told once up to date: on its first follow, and when it missed something.
    let tell: { missed: Unrecoverable | undefined } | undefined = member.epoch === '' ? { missed: undefined } : undefined;
    try {
      await feed.subscribed;
      for (;;) {
        const heard = feed.heard;
        const resubscriptions = this.resubscriptions;
        const asked = member.epoch === '' ? member.since : { epoch: member.epoch, offset: member.cursor };
        const read = await this.read(feed, asked?.offset ?? NOTHING_TO_READ);
        if (feed.members.get(channel) !== member) return; // it left meanwhile
        const { after, missed } = recovery(asked, read);
        member.epoch = read.epoch;
        if (missed !== undefined || asked === undefined) {
          member.cursor = read.last;
          if (missed !== undefined) tell = { missed };
        } else {
          member.cursor = Math.max(member.cursor, after);
          for (const entry of read.entries) {
            if (entry.offset <= member.cursor) continue;
            member.cursor = entry.offset;
            if (entry.message !== undefined) this.outlet.deliver(channel, entry.message, feed.group, { epoch: read.epoch, offset: entry.offset });
          }
        }
        if (member.cursor < read.last && read.entries.length > 0) continue; // more than one read holds
        if (tell !== undefined) this.outlet.followed(channel, feed.group, { epoch: read.epoch, offset: member.cursor }, tell.missed);
        tell = undefined;
        const last = feed.last;
        const caughtUp = last !== undefined && last.epoch === member.epoch && last.offset <= member.cursor;
        if (resubscriptions === this.resubscriptions && (heard === feed.heard || caughtUp)) return;
      }
    } catch (error) {
      // Redis is away: the subscriber's reconnect (or the next message's gap) reads again.
      this.outlet.warn(`cannot read the history of group ${feed.group}: ${describeError(error)}`, error);
    } finally {
      member.catchingUp = false;
    }
  }

  /** The history after `after`, read once for every member waiting at that offset. */
  private read(feed: Feed, after: number): Promise<HistoryRead> {
    let read = feed.reads.get(after);
    if (read === undefined) {
      read = this.readHistory(feed, after).finally(() => feed.reads.delete(after));
      feed.reads.set(after, read);
    }
    return read;
  }

  private async readHistory(feed: Feed, after: number): Promise<HistoryRead> {
    const { group, rule } = feed;
    const reply = await readHistory(this.redis, this.keys, group, rule, this.clock(), after);
    const entries: HistoryRead['entries'] = [];
    for (let i = 3; i < reply.length; i += 2) {
      const offset = Number(reply[i]);
      // One that cannot be read still takes its offset: the member passes over it.
      entries.push({ offset, message: this.decode(group, offset, reply[i + 1] as Buffer) });
    }
    return { epoch: reply[0]!.toString(), first: Number(reply[1]), last: Number(reply[2]), entries };
  }
}
