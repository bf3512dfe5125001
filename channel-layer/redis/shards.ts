import calculateSlot from 'cluster-key-slot';

const SLOTS = 16384;
/** Candidate tags looked at per shard: enough to hit (or come within a few slots of) any slot. */
const CANDIDATES = 20_000;

/**
 * The hash tag of each of `count` shards. Shard i's tag is the first of `s0`, `s1`, … whose slot
 * is nearest the middle of the i-th of `count` equal ranges of the 16384 slots. A cluster whose
 * primaries share the slots evenly in ranges (as `redis-cli --cluster create` makes them) thus
 * has the shards on different primaries as long as there are no more shards than primaries,
 * and as evenly as the numbers allow past that. The rule is part of the key layout: every
 * process, in every language, must derive the same tags.
 */
export function shardTags(count: number): string[] {
  const tags: string[] = [];
  for (let shard = 0; shard < count; shard++) {
    const middle = Math.floor(((2 * shard + 1) * SLOTS) / (2 * count));
    let best = 's0';
    let bestDistance = Infinity;
    for (let n = 0; n < CANDIDATES && bestDistance > 0; n++) {
      const distance = Math.abs(calculateSlot(`s${n}`) - middle);
      if (distance < bestDistance) [best, bestDistance] = [`s${n}`, distance];
    }
    tags.push(best);
  }
  return tags;
}
