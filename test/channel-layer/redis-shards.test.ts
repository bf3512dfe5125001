import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LayoutMismatch, RedisLayer, UNORDERED, type Delivery } from '../../channel-layer/index.js';
import { inspectLayer } from '../../channel-layer/redis/inspect.js';
import { RedisKeys } from '../../channel-layer/redis/keys.js';
import { defineScripts } from '../../channel-layer/redis/scripts.js';
import { shardTags } from '../../channel-layer/redis/shards.js';
import { parseAddresses, startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';

/** The key layout of shards: pure rules every implementation must derive alike. */
describe('shard keys', () => {
  it('derives the same tags everywhere: slots in the middle of equal ranges', () => {
    // Part of the published key layout: a change here strands messages between releases.
    expect(shardTags(3)).toEqual(['s13548', 's3133', 's1678']);
    expect(shardTags(3).map((tag) => calculateSlot(tag))).toEqual([2729, 8194, 13653]);
    for (const count of [2, 4, 6, 8, 16]) {
      const slots = shardTags(count).map((tag) => calculateSlot(tag));
      slots.forEach((slot, i) => expect(Math.abs(slot - ((2 * i + 1) * 16384) / (2 * count))).toBeLessThan(16384 / count / 4));
    }
  });

  it('keeps the one-server layout at one shard and names lists by shard tag past it', () => {
    expect(new RedisKeys('p').list('http.request')).toBe('p:ch:{http.request}');
    expect(new RedisKeys('p').list('proc.a!7')).toBe('p:ch:{proc.a!}');
    const sharded = new RedisKeys('p', 3);
    expect(sharded.lists('http.request')).toEqual(['p:ch:{s13548}http.request', 'p:ch:{s3133}http.request', 'p:ch:{s1678}http.request']);
    expect(sharded.list('proc.a!7', 2)).toBe('p:ch:{s1678}proc.a!');
    for (const key of [...sharded.lists('http.request'), 'p:ch:{http.request}']) expect(RedisKeys.nameIn(key, 'p:ch:')).toBe('http.request');
  });

  it('refuses shards on one Redis server, where there is nothing to spread over', () => {
    expect(() => new RedisLayer({ url: 'redis://127.0.0.1:1', shards: 3 })).toThrow(/"shards" splits channels over the primaries of a cluster/);
  });
});

/** Shards on a real 3-primary cluster of the test's own. */
describe('shards on Redis Cluster', () => {
  let cluster: RedisCluster;
  const made: RedisLayer[] = [];
  beforeAll(async () => {
    cluster = await startRedisCluster();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(made.map((layer) => layer.close()));
    await cluster?.stop();
  });

  async function layer(prefix: string, shards?: number): Promise<RedisLayer> {
    const made_ = new RedisLayer({ url: 'redis://127.0.0.1', cluster: cluster.seeds, prefix, ...(shards === undefined ? {} : { shards }) });
    made.push(made_);
    await made_.waitUntilReady();
    return made_;
  }

  it('spreads unordered sends over every primary, and competing receivers take each once', async () => {
    const prefix = `shards-${Math.random().toString(36).slice(2, 10)}`;
    const sender = await layer(prefix);
    for (let i = 0; i < 30; i++) {
      await sender.send('work', { type: 't', i }, UNORDERED); // a turn each: the next shard each time
    }
    // One shard on each primary, each holding its turns' share.
    const primaries = await cluster.primaries();
    const owners = new RedisKeys(prefix, 3).lists('work').map((key) => {
      const slot = calculateSlot(key);
      return primaries.find((node) => node.slots.some(([from, to]) => from <= slot && slot <= to))!.port;
    });
    expect(new Set(owners).size).toBe(3);
    const admin = new Cluster(parseAddresses(cluster.seeds));
    try {
      expect(await Promise.all(new RedisKeys(prefix, 3).lists('work').map((key) => admin.llen(key)))).toEqual([10, 10, 10]);
    } finally {
      admin.disconnect();
    }
    const snapshot = await inspectLayer({ url: 'redis://127.0.0.1', cluster: cluster.seeds }, prefix);
    expect(snapshot.channels).toEqual([{ channel: 'work', depth: 30 }]); // the shards summed

    const receivers = [await layer(prefix), await layer(prefix)];
    const got: Delivery[] = [];
    await Promise.all(
      receivers.map(async (receiver) => {
        while (got.length < 30) {
          const batch = await receiver.receive(['work'], { max: 4, signal: AbortSignal.timeout(1_000) }).catch(() => []);
          got.push(...batch);
          if (batch.length === 0) break;
        }
      }),
    );
    expect(got.map((delivery) => delivery.message.i).sort((a, b) => (a as number) - (b as number))).toEqual([...Array(30).keys()]);
  });

  it("keeps one sender's order on a channel when its sends are not unordered", async () => {
    const prefix = `shards-${Math.random().toString(36).slice(2, 10)}`;
    const [a, b, receiver] = [await layer(prefix), await layer(prefix), await layer(prefix)];
    for (let i = 0; i < 40; i++) {
      await a.send('ordered', { type: 't', from: 'a', i });
      await b.send('ordered', { type: 't', from: 'b', i });
    }
    const got: Delivery[] = [];
    while (got.length < 80) got.push(...(await receiver.receive(['ordered'], { max: 80 - got.length })));
    for (const from of ['a', 'b']) expect(got.filter((d) => d.message.from === from).map((d) => d.message.i)).toEqual([...Array(40).keys()]);
  });

  it('keeps the order of sends made while the layout is being read', async () => {
    const prefix = `shards-${Math.random().toString(36).slice(2, 10)}`;
    const receiver = await layer(prefix);
    const early = new RedisLayer({ url: 'redis://127.0.0.1', cluster: cluster.seeds, prefix, capacity: 5000 });
    made.push(early);
    while (!early.available) await new Promise((resolve) => setTimeout(resolve, 10)); // connected; the layout is read at the first send
    const sending: Promise<void>[] = [];
    // Sends a microtask apart around the moment the layout arrives, with turns between.
    for (let i = 0; i < 3000; i++) {
      sending.push(early.send('early', { type: 't', i }));
      await (i % 50 === 49 ? new Promise((resolve) => setImmediate(resolve)) : Promise.resolve());
    }
    await Promise.all(sending);
    const got: number[] = [];
    while (got.length < 3000) got.push(...(await receiver.receive(['early'], { max: 1000 })).map((d) => d.message.i as number));
    const firstOff = got.findIndex((value, i) => value !== i);
    expect(firstOff, `out of order from ${firstOff}: ${got.slice(Math.max(0, firstOff - 3), firstOff + 8).join(",")}`).toBe(-1);
  });

  it('gives processes their home shards in turn, so their own messages spread over the primaries', async () => {
    const prefix = `shards-${Math.random().toString(36).slice(2, 10)}`;
    const layers = [await layer(prefix), await layer(prefix), await layer(prefix)];
    const admin = new Cluster(parseAddresses(cluster.seeds));
    try {
      const homes = new Set<number>();
      for (const [i, l] of layers.entries()) {
        await l.send(`probe${i}`, { type: 't' });
        const depths = await Promise.all(new RedisKeys(prefix, 3).lists(`probe${i}`).map((key) => admin.llen(key)));
        expect(depths.reduce((a, b) => a + b, 0)).toBe(1);
        homes.add(depths.indexOf(1));
      }
      expect(homes.size).toBe(3);
    } finally {
      admin.disconnect();
    }
  });

  it('refuses a process whose shards differ from the namespace it joins, saying how to mend it', async () => {
    const prefix = `shards-${Math.random().toString(36).slice(2, 10)}`;
    await layer(prefix); // the first sets 3
    const odd = new RedisLayer({ url: 'redis://127.0.0.1', cluster: cluster.seeds, prefix, shards: 2 });
    made.push(odd);
    const error = await odd.waitUntilReady().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LayoutMismatch);
    expect((error as Error).message).toContain(`splits channels into 3 shard(s), this process into 2`);
    await expect(odd.send('x', { type: 't' })).rejects.toBeInstanceOf(LayoutMismatch);
    await expect(odd.receive(['x'])).rejects.toBeInstanceOf(LayoutMismatch);
  });

  it('appends a send call once though the cluster client sends it again (its receipt answers the repeat)', async () => {
    const prefix = `shards-${Math.random().toString(36).slice(2, 10)}`;
    const keys = new RedisKeys(prefix, 3);
    const list = keys.list('again', 1);
    const receipt = keys.receipt(list, 'proc.x!', 1);
    expect(calculateSlot(receipt)).toBe(calculateSlot(list));
    const client = defineScripts(new Cluster(parseAddresses(cluster.seeds)));
    try {
      const envelopes = [Buffer.from('a'), Buffer.from('b')];
      expect(await client.switchyardSendV2(2, list, receipt, 10, 60_000, 10_000, ...envelopes)).toBe(2);
      expect(await client.switchyardSendV2(2, list, receipt, 10, 60_000, 10_000, ...envelopes)).toBe(2); // the repeat: same answer
      expect(await client.llen(list)).toBe(2); // appended once
      expect(await client.pttl(receipt)).toBeGreaterThan(9_000);
      expect(await client.switchyardSendV2(2, list, keys.receipt(list, 'proc.x!', 2), 3, 60_000, 10_000, ...envelopes)).toBe(1); // a new call: capacity 3 leaves room for one
    } finally {
      client.disconnect();
    }
  });

  // Last: it takes a whole shard down for good.
  it('tells the holders of channels they are lost once a shard of the inbox stays down past the grace', async () => {
    const prefix = `shards-${Math.random().toString(36).slice(2, 10)}`;
    const holder = new RedisLayer({ url: 'redis://127.0.0.1', cluster: cluster.seeds, prefix, outageGraceMs: 1_000 });
    made.push(holder);
    await holder.waitUntilReady();
    const lost: Error[] = [];
    holder.openChannel({ deliver: () => {}, lost: (error) => lost.push(error), ridesOutOutages: true });
    await new Promise((resolve) => setTimeout(resolve, 300)); // the inbox's pops are in place
    // A primary and its replica: the slots of that shard have nobody, and the cluster is down.
    const slot = calculateSlot(new RedisKeys(prefix, 3).list('x!', 0));
    const victim = cluster.nodes.find((node) => node.primary && node.slots.some(([from, to]) => from <= slot && slot <= to))!;
    const replica = cluster.nodes.find((node) => node.primaryId === victim.id)!;
    await Promise.all([cluster.kill(victim.port), cluster.kill(replica.port)]);
    for (let waited = 0; lost.length === 0 && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(lost.map((error) => error.name)).toEqual(['LayerUnavailable']);
  }, 30_000);
});
