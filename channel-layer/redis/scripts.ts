import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * The layer's Lua scripts, read once at load. `--@include name.lua` pulls in a file from
 * `lua/includes/`, so shared helpers have one copy. Script names carry a version: a changed
 * script gets a new name, so processes of two releases never run each other's code.
 */
const LUA_DIR = new URL('./lua/', import.meta.url);

function load(file: string): string {
  return readFileSync(new URL(file, LUA_DIR), 'utf8').replace(/^--@include (\S+)$/gm, (_, name: string) =>
    readFileSync(new URL(`includes/${name}`, LUA_DIR), 'utf8'),
  );
}

const SCRIPTS = {
  switchyardSendV1: { file: 'send-v1.lua', keys: 1 },
  switchyardGroupSendV2: { file: 'group-send-v2.lua', keys: 2 },
  switchyardGroupMembersV1: { file: 'group-members-v1.lua', keys: 2 },
  switchyardGroupAddV1: { file: 'group-add-v1.lua', keys: 2 },
  switchyardLeaveGroupsV1: { file: 'leave-groups-v1.lua', keys: 1 },
} as const;

const sources = Object.fromEntries(
  Object.entries(SCRIPTS).map(([name, { file, keys }]) => [name, { lua: load(file), numberOfKeys: keys }]),
);

/** Defines the scripts as commands; ioredis runs them by EVALSHA and reloads them after a Redis restart. */
export function defineScripts(redis: Redis): ScriptedRedis {
  for (const [name, definition] of Object.entries(sources)) redis.defineCommand(name, definition);
  return redis as ScriptedRedis;
}

type Arg = string | number | Buffer;

export interface ScriptedRedis extends Redis {
  switchyardSendV1(list: string, capacity: number, ttlMs: number, ...envelopes: Buffer[]): Promise<number>;
  switchyardGroupSendV2(group: string, alive: string, ...args: Arg[]): Promise<[pushed: number, full: number, ordinary: string[]]>;
  switchyardGroupMembersV1(group: string, alive: string, now: number, timeoutMs: number): Promise<string[]>;
  switchyardGroupAddV1(group: string, joined: string, now: number, member: string, groupName: string, ttlMs: number): Promise<number>;
  switchyardLeaveGroupsV1(joined: string, groupPrefix: string, ...channels: string[]): Promise<number>;
}

/** For pipelines: the same commands, queued. */
export interface ScriptedPipeline {
  switchyardSendV1(list: string, capacity: number, ttlMs: number, ...envelopes: Buffer[]): ScriptedPipeline;
  exec(): Promise<[error: Error | null, result: unknown][] | null>;
}
