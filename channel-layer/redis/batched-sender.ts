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
 * What a cluster needs of the sender. Its client sends a command again when the command's
 * connection closed before the answer (at start-up, at a failover), after commands sent later:
 * so each call leaves a receipt (`key(list, callNumber)`, kept `keepMs`) that makes a repeat
 * append nothing (send-v2.lua), and a list has one call in flight at a time, so that a repeat
 * cannot land after the next call's messages.
 */
export interface ClusterSending {
  key(list: string, call: number): string;
  keepMs: number;
}

/**
 * Coalesces sends: every envelope produced for one list during one event-loop turn goes to
 * Redis in ONE script call, and all lists of the turn in ONE pipeline. At load this makes a
 * message cost a fraction of a round trip; alone, it costs one (after a `setImmediate`). On a
 * cluster, what is produced for a list while its last call is out waits for that call's answer
 * and goes in the next call (ClusterSending).
 */
export class BatchedSender {
  private pending = new Map<string, Pending>();
  private scheduled = false;
  private inFlight = new Set<Promise<void>>();
  /** Lists with a call out (a cluster only). */
  private readonly busy = new Set<string>();
  /** Turns that sent something so far: senders that spread their turns over shards count on it. */
  turns = 0;
  /** Calls made so far: each call's receipt is named by it (a cluster only). */
  private calls = 0;

  constructor(
    private readonly redis: ScriptedRedis,
    private readonly ttlMs: number,
    private readonly cluster?: ClusterSending,
  ) {}

  send(list: string, capacity: number, channel: string, envelope: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      let batch = this.pending.get(list);
      if (batch === undefined) this.pending.set(list, (batch = { capacity, envelopes: [], senders: [] }));
      batch.envelopes.push(envelope);
      batch.senders.push({ channel, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves once every send made so far has its answer from Redis. */
  async drain(): Promise<void> {
    while (this.pending.size > 0 || this.inFlight.size > 0) {
      if (this.scheduled) this.flush();
      await Promise.allSettled([...this.inFlight]);
      if (this.pending.size > 0 && this.inFlight.size === 0) this.flush();
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.pending.size === 0) return;
    const batches = this.pending;
    this.pending = new Map();
    this.turns++;
    const commands: CommandCall[] = [];
    const calls: { list: string; batch: Pending; from: number; to: number }[] = [];
    for (const [list, batch] of batches) {
      if (this.cluster !== undefined) {
        // One call out per list: the rest waits for its answer.
        if (this.busy.has(list)) {
          this.pending.set(list, batch);
          continue;
        }
        const to = chunkEnd(batch.envelopes, 0);
        commands.push(['switchyardSendV2', 2, list, this.cluster.key(list, ++this.calls), batch.capacity, this.ttlMs, this.cluster.keepMs, ...batch.envelopes.slice(0, to)]);
        calls.push({ list, batch, from: 0, to });
        if (to < batch.envelopes.length) this.pending.set(list, { capacity: batch.capacity, envelopes: batch.envelopes.slice(to), senders: batch.senders.slice(to) });
        this.busy.add(list);
        continue;
      }
      for (let from = 0; from < batch.envelopes.length; ) {
        const to = chunkEnd(batch.envelopes, from);
        commands.push(['switchyardSendV2', 1, list, batch.capacity, this.ttlMs, ...batch.envelopes.slice(from, to)]);
        calls.push({ list, batch, from, to });
        from = to;
      }
    }
    if (commands.length === 0) return;
    if (this.cluster === undefined) {
      // One pipeline for every list of the turn.
      this.track(runEach(this.redis, commands), calls);
      return;
    }
    // On a cluster each list's call settles on its own: a list on a primary that is down does
    // not hold back the lists on the others.
    commands.forEach((command, i) => {
      const call = calls[i]!;
      const done = this.track(runEach(this.redis, [command]), [call]);
      void done.finally(() => {
        this.busy.delete(call.list);
        if (this.pending.has(call.list)) this.schedule();
      });
    });
  }

  /** Answers the senders of `calls` from `results`, and keeps the promise in flight until then. */
  private track(results: Promise<[Error | null, unknown][]>, calls: { batch: Pending; from: number; to: number }[]): Promise<void> {
    const done = results.then(
      (replies) => {
        calls.forEach(({ batch, from, to }, i) => {
          const [error, appended] = replies[i] ?? [new Error('no reply'), 0];
          for (let j = from; j < to; j++) {
            const sender = batch.senders[j]!;
            if (error) sender.reject(toLayerError(error));
            else if (j - from < (appended as number)) sender.resolve();
            else sender.reject(new ChannelFull(sender.channel));
          }
        });
      },
      (error: unknown) => {
        for (const { batch, from, to } of calls) for (let j = from; j < to; j++) batch.senders[j]!.reject(toLayerError(error));
      },
    );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
    return done;
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
