import { Redis } from 'ioredis';

/** Calls per command from INFO commandstats (lower-case names, e.g. "evalsha", "rpush"). */
export async function commandCalls(url: string): Promise<Map<string, number>> {
  const redis = new Redis(url, { lazyConnect: true });
  try {
    await redis.connect();
    const info = await redis.info('commandstats');
    const calls = new Map<string, number>();
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
    return calls;
  } finally {
    redis.disconnect();
  }
}

/** Calls made between two readings, leaving out the readings' own commands. */
export function callsBetween(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [name, count] of after) {
    if (name === 'info' || name === 'client|setname' || name === 'client|info' || name === 'select') continue;
    const n = count - (before.get(name) ?? 0);
    if (n > 0) delta.set(name, n);
  }
  return delta;
}

export function total(calls: Map<string, number>, names?: string[]): number {
  let sum = 0;
  for (const [name, n] of calls) if (names === undefined || names.includes(name)) sum += n;
  return sum;
}
