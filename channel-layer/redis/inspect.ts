import { openConnection, scanKeys, type RedisTarget } from './connection.js';
import { RedisKeys } from './keys.js';

export interface LayerSnapshot {
  /** Ordinary channels and process inboxes with the envelopes waiting in them. */
  channels: { channel: string; depth: number }[];
  /** Groups with their stored member count (members of dead processes drop out on next use). */
  groups: { group: string; members: number }[];
  /** Processes that hold channels, with the age of their last heartbeat. */
  processes: { inbox: string; lastSeenMs: number }[];
}

/** Reads a namespace's state by SCAN (never KEYS), for `switchyard status`. */
export async function inspectLayer(target: RedisTarget, prefix: string): Promise<LayerSnapshot> {
  const keys = new RedisKeys(prefix);
  // One attempt, no reconnects: a status command should say at once that Redis is unreachable.
  const redis = openConnection(target, 'switchyard-status', { lazyConnect: true, retryStrategy: () => null });
  let refused: Error | undefined;
  redis.on('error', (error: Error) => (refused = error));
  try {
    await redis.connect().catch((error: Error) => {
      throw refused ?? error; // the socket's own error (ECONNREFUSED …) says more than "closed"
    });
    const snapshot: LayerSnapshot = { channels: [], groups: [], processes: [] };
    // On a cluster with shards, a channel is a list on each shard: its depth is their sum.
    const depths = new Map<string, number>();
    await scanKeys(redis, keys.everything, async (found) => {
      for (const key of found) {
        if (key.startsWith(keys.channelPrefix)) {
          const channel = RedisKeys.nameIn(key, keys.channelPrefix);
          depths.set(channel, (depths.get(channel) ?? 0) + (await redis.llen(key)));
        } else if (key.startsWith(keys.groupPrefix)) {
          snapshot.groups.push({ group: RedisKeys.nameIn(key, keys.groupPrefix), members: await redis.zcard(key) });
        }
      }
    });
    for (const [channel, depth] of depths) snapshot.channels.push({ channel, depth });
    const alive = await redis.zrange(keys.alive, 0, -1, 'WITHSCORES');
    const now = Date.now();
    for (let i = 0; i < alive.length; i += 2) {
      snapshot.processes.push({ inbox: alive[i]!, lastSeenMs: now - Number(alive[i + 1]) });
    }
    snapshot.channels.sort((a, b) => a.channel.localeCompare(b.channel));
    snapshot.groups.sort((a, b) => a.group.localeCompare(b.group));
    return snapshot;
  } finally {
    redis.disconnect();
  }
}
