import { readFileSync } from 'node:fs';
import type { RedisClient } from './connection.js';

/**
 * The layer's Lua scripts, read once at load. Script names carry a version: a changed script
 * gets a new name, so processes of two releases never run each other's code. Each touches only
 * the keys it is given in KEYS, all in one hash slot (keys.ts), as Redis Cluster requires.
 */
const LUA_DIR = new URL('./lua/', import.meta.url);

function load(file: string): string {
  return readFileSync(new URL(file, LUA_DIR), 'utf8');
}

const SCRIPTS = {
  // One key on one server, two on a cluster (its receipt): the caller gives their number.
  switchyardSendV2: { file: 'send-v2.lua', keys: undefined },
  switchyardGroupJoinedV1: { file: 'group-joined-v1.lua', keys: 1 },
  switchyardTakeJoinedV1: { file: 'take-joined-v1.lua', keys: 1 },
  // Two keys, three for a send on a cluster (its receipt): the caller gives their number.
  switchyardGroupHistoryV1: { file: 'group-history-v1.lua', keys: undefined },
} as const;

const sources = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, { file, keys }]) => [name, { lua: load(file), numberOfKeys: keys }]),
);

/** Defines the scripts as commands; ioredis runs them by EVALSHA and reloads them after a Redis restart. */
export function defineScripts(redis: RedisClient): ScriptedRedis {
  for (const [name, definition] of Object.entries(sources)) redis.defineCommand(name, definition);
  return redis as ScriptedRedis;
}

interface ScriptCommands {
  switchyardSendV2(...args: [keyCount: 1, list: string, capacity: number, ttlMs: number, ...envelopes: Buffer[]] | [keyCount: 2, list: string, receipt: string, capacity: number, ttlMs: number, receiptMs: number, ...envelopes: Buffer[]]): Promise<number>;
  switchyardGroupJoinedV1(joined: string, member: string, groupName: string, ttlMs: number): Promise<number>;
  switchyardTakeJoinedV1(joined: string, ...channels: string[]): Promise<string[]>;
  switchyardGroupHistoryV1(
    ...args:
      | [keyCount: 2, state: string, stream: string, use: 'send', epoch: string, now: number, size: number, maxAgeMs: number, stateMs: number, feed: string, envelope: Buffer]
      | [keyCount: 3, state: string, stream: string, receipt: string, use: 'send', epoch: string, now: number, size: number, maxAgeMs: number, stateMs: number, feed: string, envelope: Buffer, receiptMs: number]
  ): Promise<[epoch: string, offset: number]>;
  /** The read, with the envelopes (and the epoch) as bytes. */
  switchyardGroupHistoryV1Buffer(
    keyCount: 2,
    state: string,
    stream: string,
    use: 'read',
    epoch: string,
    now: number,
    size: number,
    maxAgeMs: number,
    stateMs: number,
    after: number,
    count: number,
  ): Promise<(Buffer | number)[]>;
}

/** The layer's client (one server or a cluster) with the scripts as commands. */
export type ScriptedRedis = RedisClient & ScriptCommands;
