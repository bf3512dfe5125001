import { inboxOf } from '../names.js';
import { shardTags } from './shards.js';

/**
 * Every Redis key the layer touches is built here. Layout under a prefix `p`:
 *
 *   p:ch:{<channel>}    list of envelopes of an ordinary channel
 *   p:ch:{<process>!}   list of envelopes for all of one process's specific channels (its inbox)
 *   p:group:{<group>}   sorted set: member channel → time added (ms)
 *   p:presence:{<group>} hash: member channel → its presence record (`a` or `-` for announced or
 *                       not, then the JSON record)
 *   p:hstate:{<group>}  hash: a group history's `epoch` and `last` offset (group-history-v1.lua)
 *   p:history:{<group>} stream: a group history's messages, entry id `<offset>-0`
 *   p:feed:<group>      (a pub/sub channel, not a key) where a history group's messages are
 *                       published, for the processes holding its members
 *   p:alive             sorted set: inbox (`<process>!`) → last heartbeat (ms)
 *   p:receivers:{<ch>}  sorted set: inbox of each process receiving on channel ch → last heartbeat (ms)
 *   p:joined:{<inbox>}  hash: a process's channel → the groups it was put in, one per line
 *   p:sent:{<tag>}<inbox><n>  a send call's receipt on a cluster (send-v2.lua), in its list's slot
 *   p:sent:{<group>}<inbox>h<n>  a history send's receipt on a cluster (group-history-v1.lua)
 *   p:layout            hash: `shards` (their number, set by the first process), `processes`
 *                       (a counter that gives each process its home shard)
 *
 * The braces are Redis Cluster hash tags: a key's slot is that of the name inside them, so a
 * channel's list sits in the channel's slot, an inbox in its process's, a group in the group's,
 * and load spreads over the shards by name. Every script takes its keys in KEYS, all of one
 * slot; what spans names (a group send) is several commands, each on one slot. Names never
 * hold braces (names.ts), so the tag is always the whole name.
 *
 * With `shards` > 1 (a cluster), every channel list is split into one list per shard, each
 * tagged with its shard's tag (shards.ts) instead of the name: `p:ch:{<shard tag>}<name>`. One
 * busy channel then loads every primary, and a receive takes one pop per shard whatever the
 * number of its channels (all lists of a shard share its slot).
 */
export class RedisKeys {
  readonly channelPrefix: string;
  readonly groupPrefix: string;
  readonly receiversPrefix: string;
  readonly feedPrefix: string;
  readonly alive: string;
  readonly layout: string;
  readonly everything: string;
  /** The shards' hash tags; none when lists are not split. */
  private readonly tags: readonly string[];

  constructor(
    readonly prefix: string,
    readonly shards = 1,
  ) {
    this.channelPrefix = `${prefix}:ch:`;
    this.groupPrefix = `${prefix}:group:`;
    this.receiversPrefix = `${prefix}:receivers:`;
    this.feedPrefix = `${prefix}:feed:`;
    this.alive = `${prefix}:alive`;
    this.layout = `${prefix}:layout`;
    this.tags = shards > 1 ? shardTags(shards) : [];
    this.everything = `${prefix}:*`;
  }

  /** The list a channel's messages live in (its own, or its process's inbox) on `shard`. */
  list(channel: string, shard = 0): string {
    const name = inboxOf(channel) ?? channel;
    return this.shards === 1 ? `${this.channelPrefix}{${name}}` : `${this.channelPrefix}{${this.tags[shard]}}${name}`;
  }

  /**
   * The receipt of call `call` of process `inbox` to `list` (a cluster: send-v2.lua): under the
   * list's hash tag, so in its slot; not under `ch:`, so no listing takes it for a channel.
   */
  receipt(list: string, inbox: string, call: number): string {
    const tag = list.slice(list.indexOf('{'), list.indexOf('}') + 1);
    return `${this.prefix}:sent:${tag}${inbox}${call}`;
  }

  /** The lists of a channel, one per shard, in shard order. */
  lists(channel: string): string[] {
    return Array.from({ length: this.shards }, (_, shard) => this.list(channel, shard));
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

  presence(group: string): string {
    return `${this.prefix}:presence:{${group}}`;
  }

  historyState(group: string): string {
    return `${this.prefix}:hstate:{${group}}`;
  }

  history(group: string): string {
    return `${this.prefix}:history:{${group}}`;
  }

  /** The receipt of history send `call` of process `inbox` (a cluster), in the group's slot. */
  historyReceipt(group: string, inbox: string, call: number): string {
    return `${this.prefix}:sent:{${group}}${inbox}h${call}`;
  }

  /** The pub/sub channel of a group with history. */
  feed(group: string): string {
    return `${this.feedPrefix}${group}`;
  }

  /** The name in a key built here (`p:ch:{name}` or `p:ch:{tag}name` → `name`), for listings. */
  static nameIn(key: string, prefix: string): string {
    const name = key.slice(prefix.length);
    if (!name.startsWith('{')) return name;
    const close = name.indexOf('}');
    return close === name.length - 1 ? name.slice(1, -1) : name.slice(close + 1);
  }
}
