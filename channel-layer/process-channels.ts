import type { Recipient } from './contract.js';
import { InvalidName } from './errors.js';
import { assertChannelName, inboxOf, processChannel } from './names.js';
import { normalizeMax, randomId } from './validate.js';

/**
 * A process's own channels, as every layer keeps them: its inbox name (unique to the layer
 * instance), the channels it holds, and the recipients some of them hand messages to. The
 * in-memory layer passes the sets of the store its "processes" share; the Redis layer its own.
 */
export class ProcessChannels {
  readonly inbox: string;
  private next = 0;

  constructor(
    processName: string,
    readonly held: Set<string>,
    readonly recipients: Map<string, Recipient>,
  ) {
    this.inbox = `${processName}.${randomId()}!`;
  }

  /** A new channel of this process, held until released; its messages go to `recipient` if given. */
  create(hint: string | undefined, recipient?: Recipient): string {
    const channel = processChannel(this.inbox, hint, this.next++);
    this.held.add(channel);
    if (recipient !== undefined) this.recipients.set(channel, recipient);
    return channel;
  }

  /** Forgets a channel; false if this process did not hold it. */
  release(channel: string): boolean {
    if (!this.held.delete(channel)) return false;
    this.recipients.delete(channel);
    return true;
  }

  /**
   * The receive rule: at least one channel, valid names, a positive `max`; a process-specific
   * channel only if this process holds it and hands it to no recipient. Returns the ordinary
   * channels (shared by every process) and this process's own, in the order given.
   */
  forReceive(channels: readonly string[], max: number | undefined): { max: number; shared: string[]; local: string[] } {
    const checkedMax = normalizeMax(max);
    if (channels.length === 0) throw new RangeError('receive needs at least one channel');
    const shared: string[] = [];
    const local: string[] = [];
    for (const channel of channels) {
      assertChannelName(channel);
      const inbox = inboxOf(channel);
      if (inbox === undefined) shared.push(channel);
      else if (this.recipients.has(channel)) throw new InvalidName(`channel "${channel}" hands its messages to its recipient; it cannot be received on`);
      else if (inbox === this.inbox) local.push(channel);
      else throw new InvalidName(`channel "${channel}" is held by another process; receive only on channels from this layer's newChannel()`);
    }
    return { max: checkedMax, shared, local };
  }
}
