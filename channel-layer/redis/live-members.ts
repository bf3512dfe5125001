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
  for (let from = 0; from < dead.length; from += MAX_PER_ZREM) redis.zrem(groupKey, ...dead.slice(from, from + MAX_PER_ZREM)).catch(() => {});
  return { byInbox, ordinary };
}
