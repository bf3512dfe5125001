import { inboxOf } from '../names.js';

/**
 * Every Redis key the layer touches is built here. Layout under a prefix `p`:
 *
 *   p:ch:<channel>    list of envelopes of an ordinary channel
 *   p:ch:<process>!   list of envelopes for all of one process's specific channels (its inbox)
 *   p:group:<group>   sorted set: member channel → time added (ms)
 *   p:alive           sorted set: inbox (`<process>!`) → last heartbeat (ms)
 *   p:receivers:<ch>  sorted set: inbox of each process receiving on channel ch → last heartbeat (ms)
 *   p:joined:<inbox>  hash: a process's channel → the groups it was put in, one per line
 *
 * The group-send script derives members' list keys as `channelPrefix + inbox-or-channel`,
 * the same rule as `list()` below.
 */
export class RedisKeys {
  readonly channelPrefix: string;
  readonly alive: string;
  readonly everything: string;

  constructor(readonly prefix: string) {
    this.channelPrefix = `${prefix}:ch:`;
    this.alive = `${prefix}:alive`;
    this.everything = `${prefix}:*`;
  }

  /** The list a channel's messages live in: its own, or its process's inbox. */
  list(channel: string): string {
    return this.channelPrefix + (inboxOf(channel) ?? channel);
  }

  /** Who receives on an ordinary channel (see receivers.ts). */
  receivers(channel: string): string {
    return `${this.receiversPrefix}${channel}`;
  }

  get receiversPrefix(): string {
    return `${this.prefix}:receivers:`;
  }

  /** A process's channels and the groups they were put in (group-add-v1.lua). */
  joined(inbox: string): string {
    return `${this.prefix}:joined:${inbox}`;
  }

  group(group: string): string {
    return `${this.prefix}:group:${group}`;
  }
}
