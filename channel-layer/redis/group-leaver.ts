import type { ScriptedRedis } from './scripts.js';

/** How long released channels gather before they leave their groups in one call. */
const LEAVE_MS = 250;
/** Most channels one call takes (Lua's unpack and the command's size stay bounded). */
const MAX_PER_CALL = 1000;

/**
 * Takes the channels this process lets go out of every group others put them in: their groups
 * come out of the process's joined hash (take-joined-v1.lua, on the process's slot), then each
 * leaves each of its groups (`leave`: the group's set and presence, its leave announced). At most
 * one such round per LEAVE_MS however many close, and on `flush` (the layer closing). If Redis
 * is away then, the memberships stay until a group send finds the channel no longer held and
 * drops it, as it does for members of dead processes.
 */
export class GroupLeaver {
  private channels: string[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly joinedKey: string,
    private readonly leave: (group: string, channel: string) => Promise<void>,
  ) {}

  add(channel: string): void {
    this.channels.push(channel);
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => void this.flush(), LEAVE_MS);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const channels = this.channels;
    this.channels = [];
    for (let from = 0; from < channels.length; from += MAX_PER_CALL) {
      const taken = await this.redis.switchyardTakeJoinedV1(this.joinedKey, ...channels.slice(from, from + MAX_PER_CALL)).catch(() => []);
      const leaving: Promise<void>[] = [];
      for (let i = 0; i < taken.length; i += 2) {
        for (const group of taken[i + 1]!.split('\n')) leaving.push(this.leave(group, taken[i]!).catch(() => {}));
      }
      await Promise.all(leaving);
    }
  }
}
