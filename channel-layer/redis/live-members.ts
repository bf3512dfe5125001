import type { RedisClient } from './connection.js';
import { inboxOf } from '../names.js';
import type { RedisKeys } from './keys.js';

export interface LiveMembers {
  /** Live process → its members in the group, in the group's order. */
  byInbox: Map<string, string[]>;
  /** Members that are ordinary channels: they have no holder and stay. */
  ordinary: string[];
}

/** Most members one ZREM takes. */
const MAX_PER_ZREM = 1000;

/**
 * A group's members sorted by the process that holds them, in two commands, each on one slot
 * (the group's, then the liveness set's). Members held by a process with no heartbeat within
 * `timeoutMs` belong to a process that died: they are taken out of the group (not waited for).
 */
export async function liveMembers(redis: RedisClient, keys: RedisKeys, group: string, now: number, timeoutMs: number): Promise<LiveMembers> {
  const groupKey = keys.group(group);
  const members = await redis.zrange(groupKey, 0, -1);
  const byInbox = new Map<string, string[]>();
  const ordinary: string[] = [];
  for (const member of members) {
    const inbox = inboxOf(member);
    if (inbox === undefined) ordinary.push(member);
    else if (byInbox.has(inbox)) byInbox.get(inbox)!.push(member);
    else byInbox.set(inbox, [member]);
  }
  if (byInbox.size === 0) return { byInbox, ordinary };
  const inboxes = [...byInbox.keys()];
  const beats = await redis.zmscore(keys.alive, ...inboxes);
  const dead: string[] = [];
  inboxes.forEach((inbox, i) => {
    const beat = beats[i];
    if (beat !== null && beat !== undefined && Number(beat) >= now - timeoutMs) return;
    dead.push(...byInbox.get(inbox)!);
    byInbox.delete(inbox);
  });
  // With their presence records: a process that died announces nothing.
  for (let from = 0; from < dead.length; from += MAX_PER_ZREM) {
    const some = dead.slice(from, from + MAX_PER_ZREM);
    redis.zrem(groupKey, ...some).catch(() => {});
    redis.hdel(keys.presence(group), ...some).catch(() => {});
  }
  return { byInbox, ordinary };
}

/**
 * Lookups of a group's live members, at most one per group for all the calls made in one
 * synchronous run (a burst of group sends, a loop): the lookup starts after the run, so each call
 * still sees every change made before it, and a burst of N sends to a group costs two commands,
 * not 2N.
 */
export class MemberLookups {
  private pending = new Map<string, Promise<LiveMembers>>();

  constructor(private readonly lookup: (group: string) => Promise<LiveMembers>) {}

  get(group: string): Promise<LiveMembers> {
    let shared = this.pending.get(group);
    if (shared === undefined) {
      // Queued before the lookup below: the run's joiners are in, later calls get a lookup of their own.
      if (this.pending.size === 0) queueMicrotask(() => (this.pending = new Map()));
      shared = Promise.resolve().then(() => this.lookup(group));
      this.pending.set(group, shared);
    }
    return shared;
  }
}
