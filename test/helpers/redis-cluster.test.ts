import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAddresses, startRedisCluster, startRedisSentinel, type RedisCluster, type RedisSentinel } from './redis-cluster.js';

/** Retries `attempt` for up to `ms` (a client finding its way to the new primary), then fails with the last error. */
async function eventually<T>(attempt: () => Promise<T>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

function timed(label: string, started: number): void {
  console.log(`[redis-cluster.test] ${label}: ${Date.now() - started} ms`);
}

describe('startRedisCluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;
  /** 30 keys and the slot of each, spread over all 3 primaries. */
  const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);

  beforeAll(async () => {
    const started = Date.now();
    cluster = await startRedisCluster();
    timed('cluster start', started);
    client = new Cluster(parseAddresses(cluster.seeds));
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  it('starts 3 primaries and 3 replicas, one replica per primary', async () => {
    expect(cluster.nodes).toHaveLength(6);
    const primaries = cluster.nodes.filter((node) => node.primary);
    const replicas = cluster.nodes.filter((node) => !node.primary);
    expect(primaries).toHaveLength(3);
    expect(new Set(replicas.map((node) => node.primaryId))).toEqual(new Set(primaries.map((node) => node.id)));
    expect(primaries.flatMap((node) => node.slots).reduce((sum, [from, to]) => sum + to - from + 1, 0)).toBe(16384);
    expect(parseAddresses(cluster.seeds).map((address) => address.port).sort()).toEqual(cluster.nodes.map((node) => node.port).sort());
    expect((await cluster.primaries()).map((node) => node.port).sort()).toEqual(primaries.map((node) => node.port).sort());
  });

  it('SET/GET through ioredis Cluster works for keys of every primary', async () => {
    const primaries = await cluster.primaries();
    const owners = new Set<number>();
    for (const key of keys) {
      const slot = Number(await client.cluster('KEYSLOT', key));
      owners.add(primaries.find((node) => node.slots.some(([from, to]) => from <= slot && slot <= to))!.port);
      await client.set(key, `value-${key}`);
    }
    expect(owners.size).toBe(3);
    for (const key of keys) expect(await client.get(key)).toBe(`value-${key}`);
  });

  it('fails over when a primary is killed, and ioredis Cluster writes and reads again', async () => {
    const [victim] = await cluster.primaries();
    // What the replicas hold: what the victim holds, once they have acknowledged it.
    const direct = new Redis({ host: victim!.host, port: victim!.port, lazyConnect: true });
    await direct.connect();
    expect(await direct.call('WAIT', '1', '2000')).toBe(1);
    direct.disconnect();

    let started = Date.now();
    await cluster.kill(victim!.port);
    const promoted = await cluster.waitForFailover(victim!.port);
    timed(`cluster failover (killed primary ${victim!.port}, promoted ${promoted.port})`, started);
    const replicaOfVictim = cluster.nodes.find((node) => node.primaryId === victim!.id)!;
    expect(promoted.port).toBe(replicaOfVictim.port);
    expect((await cluster.primaries()).map((node) => node.port)).toContain(promoted.port);
    expect((await cluster.primaries()).map((node) => node.port)).not.toContain(victim!.port);

    started = Date.now();
    await eventually(() => client.set('after-failover', 'yes'));
    timed('ioredis Cluster writing again after failover', started);
    for (const key of keys) {
      expect(await eventually(() => client.get(key))).toBe(`value-${key}`);
      await client.set(key, `again-${key}`);
      expect(await client.get(key)).toBe(`again-${key}`);
    }
    expect(await client.get('after-failover')).toBe('yes');
  }, 60_000);
});

describe('startRedisSentinel', () => {
  let sentinel: RedisSentinel;
  let client: Redis;

  beforeAll(async () => {
    const started = Date.now();
    sentinel = await startRedisSentinel();
    timed('sentinel start', started);
    client = new Redis({ sentinels: parseAddresses(sentinel.sentinels), name: sentinel.masterName });
    client.on('error', () => {}); // while the primary is down; commands say it
  }, 60_000);
  afterAll(async () => {
    client?.disconnect();
    await sentinel?.stop();
  });

  it('SET/GET through ioredis with sentinels reaches the primary', async () => {
    await client.set('greeting', 'hello');
    expect(await client.get('greeting')).toBe('hello');
    const role = (await client.call('ROLE')) as unknown[];
    expect(role[0]).toBe('master');
    expect(parseAddresses(sentinel.sentinels)).toHaveLength(3);
    expect(await client.config('GET', 'port')).toEqual(['port', String(sentinel.primary.port)]);
  });

  it('fails over to the replica when the primary is killed, and the client writes again', async () => {
    const old = sentinel.primary;
    const wait = new Redis({ host: old.host, port: old.port });
    expect(await wait.call('WAIT', '1', '2000')).toBe(1);
    wait.disconnect();

    let started = Date.now();
    await sentinel.kill(old.port);
    const promoted = await sentinel.waitForFailover();
    timed(`sentinel failover (killed primary ${old.port}, promoted ${promoted.port})`, started);
    expect(promoted.port).toBe(sentinel.replica.port);
    expect(sentinel.primary).toEqual(promoted);

    started = Date.now();
    await eventually(() => client.set('after-failover', 'yes'));
    timed('ioredis with sentinels writing again after failover', started);
    expect(await client.get('after-failover')).toBe('yes');
    expect(await client.get('greeting')).toBe('hello');
    expect(await client.config('GET', 'port')).toEqual(['port', String(promoted.port)]);
  }, 60_000);
});
