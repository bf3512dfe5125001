import calculateSlot from 'cluster-key-slot';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisLayer } from '../../channel-layer/index.js';
import { RedisKeys } from '../../channel-layer/redis/keys.js';
import { createApp, durableSender, Worker } from '../../consumers/index.js';
import type { WireMessage } from '../../schemas/index.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { killAll, QUICKSTART, randomPrefix, runSwitchyard, startServe, startWorker, type Listening } from '../helpers/processes.js';
import { WsClient } from './ws-client.js';

/**
 * switchyard on a real Redis Cluster of the test's own (3 primaries, 3 replicas): two `serve`
 * and three `worker` processes, WebSocket groups across the servers, `status` over every
 * primary, durable channels on BullMQ, and a primary killed under traffic.
 */
/** The cluster's nodes let only this user touch keys: every process here logs in as it. */
const APP_USER = { name: 'app', password: 'cluster-s3cret' };
const APP_URL = `redis://${APP_USER.name}:${APP_USER.password}@127.0.0.1`;

describe('switchyard on Redis Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ appUser: APP_USER });
  }, 60_000);
  afterEach(async () => {
    await killAll();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  async function stack(prefix: string, servers = 2, workers = 3, serveFlags: string[] = []): Promise<Listening[]> {
    const layer = { redisUrl: APP_URL, prefix }; // the URL's host is not used: its user and password are
    const flags = ['--redis-cluster', cluster.seeds];
    const started = await Promise.all(Array.from({ length: servers }, () => startServe(QUICKSTART, layer, [...flags, ...serveFlags])));
    await Promise.all(Array.from({ length: workers }, () => startWorker(QUICKSTART, layer, flags)));
    return started;
  }

  /** "worker started" comes before its first pop: a server answers 503 until it sees a worker. */
  async function serving(server: Listening): Promise<void> {
    for (let tries = 0; (await fetch(`${server.url}/hello`)).status !== 200; tries++) {
      if (tries > 50) throw new Error(`${server.url} never had a worker`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('two servers and three workers: HTTP through both, a chat room across them, and status over every primary', async () => {
    const prefix = randomPrefix('cluster');
    const [a, b] = await stack(prefix);
    await Promise.all([serving(a!), serving(b!)]);
    for (const server of [a!, b!]) for (let i = 0; i < 10; i++) expect(await (await fetch(`${server.url}/hello`)).text()).toBe('hello');

    const alice = await WsClient.open(`${a!.wsUrl}/ws/chat/lobby?name=alice`);
    const bob = await WsClient.open(`${b!.wsUrl}/ws/chat/lobby?name=bob`);
    try {
      await alice.send('hi from alice');
      expect(JSON.parse((await bob.waitForMessages(1))[0]!.text)).toEqual({ from: 'alice', text: 'hi from alice' });
      await bob.send('hi from bob');
      expect((await alice.waitForMessages(2)).map((m) => JSON.parse(m.text))).toEqual([
        { from: 'alice', text: 'hi from alice' },
        { from: 'bob', text: 'hi from bob' },
      ]);
    } finally {
      await Promise.all([alice.close(), bob.close()]);
    }

    const status = await runSwitchyard(['status', '--json', '--redis-cluster', cluster.seeds], { SWITCHYARD_PREFIX: prefix, REDIS_URL: APP_URL });
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).alive).toEqual({ server: 2, worker: 3 });
    // The password reached every node (the default user may touch no key) and no output.
    for (const output of [a!.proc.output, b!.proc.output, status.stdout, status.stderr]) expect(output).not.toContain(APP_USER.password);
    const anonymous = new RedisLayer({ url: 'redis://127.0.0.1', cluster: cluster.seeds, prefix });
    try {
      await anonymous.waitUntilReady().catch(() => {});
      await expect(anonymous.send('x', { type: 't' })).rejects.toThrow(/NOPERM|no permissions/);
    } finally {
      await anonymous.close();
    }
  }, 60_000);

  it('a process started with other shards than its namespace refuses to run, saying why', async () => {
    const prefix = randomPrefix('cluster-shards');
    await stack(prefix, 1, 0);
    const odd = await runSwitchyard(['worker', QUICKSTART, '--redis-cluster', cluster.seeds, '--redis-shards', '2'], { SWITCHYARD_PREFIX: prefix, REDIS_URL: APP_URL });
    expect(odd.code).not.toBe(0);
    expect(odd.stdout + odd.stderr).toContain('splits channels into 3 shard(s), this process into 2');
  }, 30_000);

  it('durable channels run on BullMQ on the cluster: a job sent runs once', async () => {
    const prefix = randomPrefix('cluster-durable');
    const ran: WireMessage[] = [];
    const app = createApp().channel('jobs', (message) => void ran.push(message), { durable: true });
    const config = { url: APP_URL, cluster: cluster.seeds, prefix };
    const layer = new RedisLayer({ url: config.url, cluster: config.cluster, prefix });
    const worker = new Worker(app, layer, { durable: config, logger: pino({ level: 'silent' }) });
    const sender = durableSender(app, config);
    try {
      await layer.waitUntilReady();
      await worker.start();
      await sender.send('jobs', { type: 'job', n: 1 });
      for (let waited = 0; ran.length === 0 && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(ran.map((message) => message.n)).toEqual([1]);
    } finally {
      await sender.close();
      await worker.stop();
      await layer.close();
    }
  }, 30_000);

  it('a primary killed under traffic costs 503s (or a 504 for a request in flight), never a hang, until its replica takes over', async () => {
    const prefix = randomPrefix('cluster-failover');
    const [server] = await stack(prefix, 1, 1, ['--response-timeout', '3000']);
    await serving(server!);
    // A primary that holds a shard of the requests' channel (each primary holds one), so the traffic meets the outage.
    const slot = calculateSlot(new RedisKeys(prefix, 3).list('http.request', 0));
    const victim = (await cluster.primaries()).find((node) => node.slots.some(([from, to]) => from <= slot && slot <= to))!.port;
    const failover = (async () => {
      await cluster.kill(victim);
      await cluster.waitForFailover(victim);
    })();
    const seen = new Map<number, number>();
    let okInARow = 0;
    for (let tries = 0; okInARow < 20; tries++) {
      if (tries > 2000) throw new Error(`no steady 200s after the failover; statuses so far: ${JSON.stringify([...seen])}`);
      const response = await fetch(`${server!.url}/hello`, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
      okInARow = response.status === 200 ? okInARow + 1 : 0;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await failover;
    expect([...seen.keys()].filter((code) => ![200, 503, 504].includes(code))).toEqual([]);
    expect((seen.get(503) ?? 0) + (seen.get(504) ?? 0), `statuses: ${JSON.stringify([...seen])}`).toBeGreaterThan(0); // the outage was met
  }, 90_000);
});
