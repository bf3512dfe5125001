/** Redis commands per request from INFO commandstats, split into top-level commands and those run inside Lua. */
import { readdirSync, readFileSync } from 'node:fs';
import { callsBetween, commandCalls } from '../../test/helpers/commandstats.js';

/**
 * Commands the layer's Lua scripts call (as bench/layer.ts reads them). Redis counts them in
 * commandstats like any other, but they cost no round trip.
 */
const LUA_COMMANDS = ((): Set<string> => {
  const dir = new URL('../../channel-layer/redis/lua/', import.meta.url);
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.lua'));
  const source = files.map((file) => readFileSync(new URL(file, dir), 'utf8')).join('\n');
  return new Set([...source.matchAll(/redis\.call\('(\w+)'/g)].map(([, name]) => name!.toLowerCase()));
})();

export interface RedisCost {
  /** Top-level commands per request (what clients sent; a pipeline of n is n here). */
  topLevel: number;
  /** Every command per request, those run inside Lua scripts included. */
  total: number;
  /** e.g. "evalsha 1.00, blmpop 0.98; in Lua: rpush 1.00, …" */
  byCommand: string;
}

/** Starts counting; the returned function takes the requests served since and gives the cost. */
export async function countCommands(url: string): Promise<(requests: number) => Promise<RedisCost>> {
  const before = await commandCalls(url);
  return async (requests) => {
    const calls = callsBetween(before, await commandCalls(url));
    const per = [...calls].map(([name, n]) => [name, n / requests] as const).sort((a, b) => b[1] - a[1]);
    const sum = (lua: boolean): number => per.reduce((total, [name, n]) => (LUA_COMMANDS.has(name) === lua ? total + n : total), 0);
    const list = (lua: boolean): string =>
      per
        .filter(([name]) => LUA_COMMANDS.has(name) === lua)
        .map(([name, n]) => `${name} ${n.toFixed(3)}`)
        .join(', ');
    return { topLevel: sum(false), total: sum(false) + sum(true), byCommand: `${list(false)}; in Lua: ${list(true) || 'none'}` };
  };
}
