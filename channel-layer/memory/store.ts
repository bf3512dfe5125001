import type { GroupPosition, Recipient, Unrecoverable, WireMessage } from '../contract.js';
import { systemClock, type Clock } from '../clock.js';
import { LocalChannels } from '../local-channels.js';

/**
 * What in-memory layers share. One store per application in dev mode; tests hand one store to
 * several layers to play several processes on one backing, as Redis would be.
 */
export class MemoryStore {
  readonly channels: LocalChannels;
  /** group → member channels, in insertion order. */
  readonly groups = new Map<string, Set<string>>();
  /** inbox (`<process>!`) → last heartbeat time (ms). */
  readonly alive = new Map<string, number>();
  /** Process-specific channels whose holder has not released them. */
  readonly held = new Set<string>();
  /** Channels from `openChannel`, and who takes their messages. */
  readonly recipients = new Map<string, Recipient>();
  /** Ordinary channel → the open layers that have received on it. */
  readonly receivers = new Map<string, Set<object>>();
  /** group → its history, for groups with a history rule. */
  readonly histories = new Map<string, MemoryHistory>();
  /** group → member channel → its presence record (JSON, '' for none) and whether it announces. */
  readonly presence = new Map<string, Map<string, { info: string; announce: boolean }>>();
  /** Messages for recipients, in order, as flat (channel, message or follow note, group, position) quadruples. */
  private outbox: unknown[] = [];

  /** The backing's time, as Redis's would be for every process on it (see clock.ts). */
  constructor(
    readonly expiryMs: number,
    readonly clock: Clock = systemClock,
  ) {
    this.channels = new LocalChannels(expiryMs, clock);
  }

  /**
   * Hands `message` to the recipient of `channel` once the sender's code has run to its end
   * (a microtask), with everything else sent in the meantime: one hop, not one per message.
   */
  post(channel: string, message: WireMessage, group: string | undefined, position?: GroupPosition): void {
    if (this.outbox.length === 0) queueMicrotask(this.deliver);
    this.outbox.push(channel, message, group, position);
  }

  /** Tells the recipient of `channel` it follows `group` from `position`, after what was posted before. */
  postFollowed(channel: string, group: string, position: GroupPosition, missed: Unrecoverable | undefined): void {
    if (this.outbox.length === 0) queueMicrotask(this.deliver);
    this.outbox.push(channel, new FollowNote(missed), group, position);
  }

  private readonly deliver = (): void => {
    const batch = this.outbox;
    this.outbox = [];
    let failure: unknown;
    for (let i = 0; i < batch.length; i += 4) {
      // A channel released in the meantime takes nothing more.
      try {
        const recipient = this.recipients.get(batch[i] as string);
        const item = batch[i + 1];
        const group = batch[i + 2] as string | undefined;
        const position = batch[i + 3] as GroupPosition | undefined;
        if (item instanceof FollowNote) recipient?.followed?.(group!, position!, item.missed);
        else recipient?.deliver(item as WireMessage, group, position);
      } catch (error) {
        failure ??= error; // a recipient's bug: the others still get theirs, then it surfaces
      }
    }
    if (failure !== undefined) throw failure;
  };
}

/** A group's kept messages, oldest first, and where its counting stands. */
export interface MemoryHistory {
  epoch: string;
  /** The last message's offset (0 before the first). */
  last: number;
  entries: { offset: number; at: number; message: WireMessage }[];
}

/** In the outbox: "the recipient now follows the group", told after the messages before it. */
class FollowNote {
  constructor(readonly missed: Unrecoverable | undefined) {}
}
