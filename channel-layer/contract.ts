import type { WireMessage } from '../schemas/index.js';

export type { WireMessage };

/**
 * Where a message stands in a group's history: its offset, counted from 1 within the history's
 * epoch. A new epoch (the history was lost or reset) starts counting again, so an offset from
 * another epoch says nothing about this one.
 */
export interface GroupPosition {
  epoch: string;
  offset: number;
}

/**
 * Why a member that asked to recover could not be: its epoch is not the group's (the history was
 * reset), or messages after its position are no longer kept (too old, or more than the history
 * holds).
 */
export type Unrecoverable = 'epoch' | 'trimmed';

/** What a member carries in a group's presence: a user id and what the app wants shown. */
export type PresenceInfo = { user?: string } & Record<string, unknown>;

export interface PresenceEntry {
  channel: string;
  info: PresenceInfo | undefined;
}

export interface PresenceStats {
  /** Live members. */
  connections: number;
  /** Distinct `info.user` among them (members without one are not counted). */
  users: number;
}

export interface GroupAddOptions {
  /**
   * In a group with history: the last position the member saw. It gets every message after it,
   * in order, before any live one; the channel's holder may know a later one (`Recipient.positionIn`).
   */
  since?: GroupPosition;
  /** Its presence record (JSON, at most 1 KiB), listed by `presence`. */
  info?: PresenceInfo;
  /** Send `group.join` to the group now and `group.leave` when the member leaves (presence events). */
  announce?: boolean;
}

/** One message handed out by `receive`, with the channel it was sent to. */
export interface Delivery {
  channel: string;
  message: WireMessage;
  /** The group it was sent to, when it came through `groupSend`. */
  group?: string;
}

/**
 * What a channel from `openChannel` hands its messages to: an HTTP exchange, a WebSocket
 * session, a worker's side of a streamed exchange. A plain object, not a task with a pending
 * receive: the layer's one reader of the process's inbox calls it.
 */
export interface Recipient {
  /**
   * The channel's next message, in order. Called outside the sender's call stack. A message of a
   * group with history comes with its position.
   */
  deliver(message: WireMessage, group: string | undefined, position?: GroupPosition): void;
  /**
   * The channel follows a group with history from `position` on: what it missed was delivered
   * before this call when it asked to recover, or `missed` says why it could not be. Every
   * message of the group after `position` follows, in order, once each.
   */
  followed?(group: string, position: GroupPosition, missed: Unrecoverable | undefined): void;
  /** The last position the holder saw in `group` (a reconnected client's), to recover from when joined. */
  positionIn?(group: string): GroupPosition | undefined;
  /** Nothing more will arrive: the layer closed or lost its backing store. Called once. */
  lost(error: Error): void;
  /**
   * A message for the channel arrived that could not be read (corrupt, another protocol
   * version, no send time): the holder answers for what it waited for at once (a 500, a close
   * with 1011) rather than waiting for a reply that will never come.
   */
  unreadable?(error: Error): void;
  /**
   * Keeps the channel through a short outage of the backing store (the Redis layer's
   * `outageGraceMs`) instead of hearing `lost` at once: for holders that can wait, like an open
   * WebSocket whose events wait in its queue. Others (a request waiting for its answer) hear at once.
   */
  readonly ridesOutOutages?: boolean;
  /**
   * Others may put the channel in groups (a WebSocket session's channel, which consumers join
   * to groups): when its holder releases it, the layer takes it out of every group it is in,
   * whatever the app did. Per-request channels leave this unset and cost nothing.
   */
  readonly joinsGroups?: boolean;
}

export interface ReceiveOptions {
  /** Most messages to take in one call (default 1). They may come from several channels. */
  max?: number;
  /** Aborting rejects the pending receive with the signal's reason; nothing taken is lost. */
  signal?: AbortSignal;
}

/** How a message may be sent. */
export interface LayerSendOptions {
  /**
   * The message needs no order with this process's earlier messages on the channel (a new
   * HTTP request): a layer split over shards may put it on another shard than the last one.
   * Others keep their sender's order.
   */
  unordered?: boolean;
}

/** The options of a message that needs no order with the sender's earlier ones. */
export const UNORDERED: LayerSendOptions = Object.freeze({ unordered: true });

/**
 * The channel layer: what interface servers and workers share. Every implementation passes
 * the same contract suite (test/channel-layer/contract.ts).
 *
 * Delivery is at most once: a message goes to exactly one receiver, in FIFO order per
 * channel and sender (unless sent `unordered`), or is dropped once older than the layer's expiry.
 */
export interface ChannelLayer {
  /** Queues `message` on `channel`. Raises ChannelFull past the channel's capacity. */
  send(channel: string, message: WireMessage, options?: LayerSendOptions): Promise<void>;

  /**
   * Waits (without polling) until at least one message is available on any of `channels`,
   * then takes up to `max`. Process-specific channels must have come from this layer's
   * `newChannel`.
   */
  receive(channels: readonly string[], options?: ReceiveOptions): Promise<Delivery[]>;

  /** A new process-specific channel (`<process>!<suffix>`) only this layer instance receives on. */
  newChannel(hint?: string): Promise<string>;

  /**
   * A new process-specific channel whose messages go to `recipient` as they arrive, in order:
   * the process's one reply loop. It has no buffer of its own (a recipient takes what comes)
   * and cannot be passed to `receive`. Released like any other with `releaseChannel`.
   */
  openChannel(recipient: Recipient, hint?: string): string;

  /**
   * Whether a live process receives on the ordinary channel `channel`: one that has called
   * `receive` on it and has not closed its layer or missed its heartbeats. `true` at once when
   * the layer already knows (the Redis layer keeps a view refreshed every second); otherwise a
   * promise of a fresh look. A sender can refuse work nobody would take, without a round trip
   * per message while receivers are there.
   */
  hasReceivers(channel: string): true | Promise<boolean>;

  /** Forgets a channel from `newChannel`: its buffer is dropped and later messages to it too. */
  releaseChannel(channel: string): void;

  /**
   * Adds `channel` to `group`. It stays a member while the process holding it is alive. In a
   * group with history (`groupHistory`) only process-specific channels may be members: each gets
   * every message from its position on (history.ts).
   */
  groupAdd(group: string, channel: string, options?: GroupAddOptions): Promise<void>;
  groupDiscard(group: string, channel: string): Promise<void>;
  /**
   * Delivers `message` to every live member; members whose channel is full miss it. In a group
   * with history the message is recorded and delivered as one step, and its position returned.
   */
  groupSend(group: string, message: WireMessage): Promise<GroupPosition | undefined>;
  /** Live members of `group`. */
  groupMembers(group: string): Promise<string[]>;
  groupSize(group: string): Promise<number>;
  /** Live members of `group` with their presence records. */
  presence(group: string): Promise<PresenceEntry[]>;
  presenceStats(group: string): Promise<PresenceStats>;

  /** Deletes every channel, group and message of this layer's namespace. */
  flush(): Promise<void>;
  /** Rejects pending receives with LayerClosed and releases connections. */
  close(): Promise<void>;

  /** Whether calls can succeed now: open, and its backing store reachable (readiness checks). */
  readonly available: boolean;
}
