import { randomBytes } from 'node:crypto';
import type { GroupPosition, PresenceEntry, PresenceInfo, PresenceStats, Unrecoverable, WireMessage } from './contract.js';
import { InvalidMessage } from './errors.js';
import { nameMatcher, type LayerOptions } from './options.js';

/**
 * Group history: the rules every layer shares. A group whose name matches a `groupHistory`
 * pattern keeps its last `size` messages, none older than `maxAgeMs`, each at an offset counted
 * from 1 within an epoch. A member that joins with the last position it saw gets what it missed
 * before any live message, or hears why it cannot (`recovery`).
 */
export interface HistoryRule {
  size: number;
  maxAgeMs: number;
}

/** Most bytes of a member's presence record, as JSON. */
export const MAX_PRESENCE_BYTES = 1024;

/** The rule of each group, matched once per name. */
export class HistoryRules {
  private readonly cache = new Map<string, HistoryRule | null>();
  private readonly rules: { test: (name: string) => boolean; rule: HistoryRule }[];

  constructor(options: Pick<LayerOptions, 'groupHistory'>) {
    this.rules = options.groupHistory.map(({ pattern, size, maxAgeMs }) => ({ test: nameMatcher(pattern), rule: { size, maxAgeMs } }));
  }

  of(group: string): HistoryRule | undefined {
    if (this.rules.length === 0) return undefined;
    let rule = this.cache.get(group);
    if (rule === undefined) {
      rule = this.rules.find((candidate) => candidate.test(group))?.rule ?? null;
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(group, rule);
    }
    return rule ?? undefined;
  }
}

/** A new epoch's name: random, so a history made again is never taken for the old one. */
export function newEpoch(): string {
  return randomBytes(6).toString('base64url');
}

/** What a history holds now: its epoch, the offset of its oldest kept message and of its last. */
export interface HistoryState {
  epoch: string;
  /** The oldest kept message's offset; `last + 1` when none is kept. */
  first: number;
  /** The last message's offset; 0 before the first. */
  last: number;
}

/**
 * The epoch of a position that asks for what is kept in whatever epoch the group is in: a
 * client joining for the first time that wants the recent messages (`<group>~*~0`).
 */
export const ANY_EPOCH = '*';

/**
 * Where a member joining with `since` starts: after `after` (every kept message past it is
 * delivered to it first), and `missed` when what it asked for is gone. The seam rule: a member
 * that saw offset n in this epoch needs n + 1 onwards, which must all still be kept.
 */
export function recovery(since: GroupPosition | undefined, now: HistoryState): { after: number; missed: Unrecoverable | undefined } {
  if (since === undefined) return { after: now.last, missed: undefined };
  if (since.epoch === ANY_EPOCH) return { after: Math.min(now.last, Math.max(since.offset, now.first - 1)), missed: undefined };
  if (since.epoch !== now.epoch) return { after: now.last, missed: 'epoch' };
  if (since.offset > now.last) return { after: now.last, missed: 'epoch' }; // a position this history never gave
  if (since.offset + 1 < now.first) return { after: now.last, missed: 'trimmed' };
  return { after: since.offset, missed: undefined };
}

/** A presence record as stored: checked, and small. */
export function encodePresence(info: PresenceInfo | undefined): string {
  if (info === undefined) return '';
  if (typeof info !== 'object' || info === null || Array.isArray(info)) throw new InvalidMessage('a presence record must be a plain object');
  if (info.user !== undefined && typeof info.user !== 'string') throw new InvalidMessage('a presence record\'s "user" must be a string');
  const json = JSON.stringify(info);
  if (Buffer.byteLength(json) > MAX_PRESENCE_BYTES) throw new InvalidMessage(`a presence record takes at most ${MAX_PRESENCE_BYTES} bytes of JSON`);
  return json;
}

export function decodePresence(stored: string | null | undefined): PresenceInfo | undefined {
  if (stored === null || stored === undefined || stored === '') return undefined;
  try {
    return JSON.parse(stored) as PresenceInfo;
  } catch {
    return undefined;
  }
}

export function presenceStats(entries: readonly PresenceEntry[]): PresenceStats {
  const users = new Set<string>();
  for (const { info } of entries) if (info?.user !== undefined) users.add(info.user);
  return { connections: entries.length, users: users.size };
}

/** The presence event sent to a group when an announced member joins or leaves. */
export function presenceEvent(kind: 'join' | 'leave', group: string, channel: string, info: PresenceInfo | undefined): WireMessage {
  return info === undefined ? { type: `group.${kind}`, group, channel } : { type: `group.${kind}`, group, channel, info };
}
