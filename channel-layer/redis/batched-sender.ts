import { ChannelFull } from '../errors.js';
import { runEach, toLayerError, type CommandCall } from './connection.js';
import type { ScriptedRedis } from './scripts.js';

interface Pending {
  capacity: number;
  envelopes: Buffer[];
  senders: { channel: string; resolve: () => void; reject: (error: unknown) => void }[];
}

/** Most envelopes, and bytes, one script call appends: bounds the command and Lua's unpack. */
const MAX_PER_CALL = 1000;
const MAX_BYTES_PER_CALL = 8 * 1024 * 1024;

/**
 * Coalesces sends: every envelope produced for one list during one event-loop turn goes to
 * Redis in ONE script call, and all lists of the turn in ONE pipeline. At load this makes a
 * message cost a fraction of a round trip; alone, it costs one (after a `setImmediate`).
 */
export class BatchedSender {
  private pending = new Map<string, Pending>();
  private scheduled = false;
  private inFlight = new Set<Promise<void>>();
  /** Turns that sent something so far: senders that spread their turns over shards count on it. */
  turns = 0;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly ttlMs: number,
  ) {}

  send(list: string, capacity: number, channel: string, envelope: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      let batch = this.pending.get(list);
      if (batch === undefined) this.pending.set(list, (batch = { capacity, envelopes: [], senders: [] }));
      batch.envelopes.push(envelope);
      batch.senders.push({ channel, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Resolves once every send made so far has its answer from Redis. */
  async drain(): Promise<void> {
    if (this.scheduled) this.flush();
    await Promise.allSettled([...this.inFlight]);
  }

  private flush(): void {
    this.scheduled = false;
    const batches = this.pending;
    if (batches.size === 0) return;
    this.pending = new Map();
    this.turns++;
    const commands: CommandCall[] = [];
    const calls: { batch: Pending; from: number; to: number }[] = [];
    for (const [list, batch] of batches) {
      for (let from = 0; from < batch.envelopes.length; ) {
        const to = chunkEnd(batch.envelopes, from);
        commands.push(['switchyardSendV1', list, batch.capacity, this.ttlMs, ...batch.envelopes.slice(from, to)]);
        calls.push({ batch, from, to });
        from = to;
      }
    }
    // One pipeline for every list of the turn (on a cluster, one command per list: see runEach).
    const done = runEach(this.redis, commands).then(
      (results) => {
        calls.forEach(({ batch, from, to }, i) => {
          const [error, appended] = results[i] ?? [new Error('no reply'), 0];
          for (let j = from; j < to; j++) {
            const sender = batch.senders[j]!;
            if (error) sender.reject(toLayerError(error));
            else if (j - from < (appended as number)) sender.resolve();
            else sender.reject(new ChannelFull(sender.channel));
          }
        });
      },
      (error: unknown) => {
        for (const { batch } of calls) for (const sender of batch.senders) sender.reject(toLayerError(error));
      },
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }
}

/** End (exclusive) of the chunk starting at `from`: at least one envelope, then within both limits. */
function chunkEnd(envelopes: Buffer[], from: number): number {
  let bytes = envelopes[from]!.length;
  let to = from + 1;
  while (to < envelopes.length && to - from < MAX_PER_CALL && bytes + envelopes[to]!.length <= MAX_BYTES_PER_CALL) {
    bytes += envelopes[to]!.length;
    to++;
  }
  return to;
}
