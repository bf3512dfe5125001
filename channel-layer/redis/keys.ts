import { inboxOf } from '../names.js';

/**
 * Every Redis key the layer touches is built here. Layout under a prefix `p`:
 *
 *   p:ch:{<channel>}    list of envelopes of an ordinary channel
 *   p:ch:{<process>!}   list of envelopes for all of one process's specific channels (its inbox)
 *   p:group:{<group>}   sorted set: member channel → time added (ms)
 *   p:alive             sorted set: inbox (`<process>!`) → last heartbeat (ms)
 *   p:receivers:{<ch>}  sorted set: inbox of each process receiving on channel ch → last heartbeat (ms)
 *   p:joined:{<inbox>}  hash: a process's channel → the groups it was put in, one per line
 *
 * The braces are Redis Cluster hash tags: a key's slot is that of the name inside them, so a
 * channel's list sits in the channel's slot, an inbox in its process's, a group in the group's,
 * and load spreads over the shards by name. Every script takes its keys in KEYS, all of one
 * slot; what spans names (a group send) is several commands, each on one slot. Names never
 * hold braces (names.ts), so the tag is always the whole name.
 */
export class RedisKeys {
  readonly channelPrefix: string;
  readonly groupPrefix: string;
  readonly receiversPrefix: string;
  readonly alive: string;
  readonly everything: string;

  constructor(readonly prefix: string) {
    this.channelPrefix = `${prefix}:ch:`;
    this.groupPrefix = `${prefix}:group:`;
    this.receiversPrefix = `${prefix}:receivers:`;
    this.alive = `${prefix}:alive`;
    this.everything = `${prefix}:*`;
  }

  /** The list a channel's messages live in: its own, or its process's inbox. */
  list(channel: string): string {
    return `${this.channelPrefix}{${inboxOf(channel) ?? channel}}`;
  }

  /** Who receives on an ordinary channel (see liveness.ts). */
  receivers(channel: string): string {
    return `${this.receiversPrefix}{${channel}}`;
  }

  /** A process's channels and the groups they were put in (group-joined-v1.lua). */
  joined(inbox: string): string {
    return `${this.prefix}:joined:{${inbox}}`;
  }

  group(group: string): string {
    return `${this.groupPrefix}{${group}}`;
  }

  /** The name in a key built here (`p:ch:{name}` → `name`), for listings. */
  static nameIn(key: string, prefix: string): string {
    const name = key.slice(prefix.length);
    return name.startsWith('{') && name.endsWith('}') ? name.slice(1, -1) : name;
  }
}
