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

  constructor(readonly expiryMs: number) {
    this.channels = new LocalChannels(expiryMs);
  }
}
