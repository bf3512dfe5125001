import type { Recipient, WireMessage } from '../contract.js';
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
  /** Messages for recipients, in order, as flat (channel, message, group) triples. */
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
  post(channel: string, message: WireMessage, group: string | undefined): void {
    if (this.outbox.length === 0) queueMicrotask(this.deliver);
    this.outbox.push(channel, message, group);
  }

  private readonly deliver = (): void => {
    const batch = this.outbox;
    this.outbox = [];
    let failure: unknown;
    for (let i = 0; i < batch.length; i += 3) {
      // A channel released in the meantime takes nothing more.
      try {
        this.recipients.get(batch[i] as string)?.deliver(batch[i + 1] as WireMessage, batch[i + 2] as string | undefined);
      } catch (error) {
        failure ??= error; // a recipient's bug: the others still get theirs, then it surfaces
      }
    }
    if (failure !== undefined) throw failure;
  };
}
