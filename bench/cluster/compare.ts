/**
 * switchyard on one Redis beside a local Redis Cluster (3 primaries, 3 replicas), same machine,
 * so parity is what to expect, not a speed-up. Each round runs, on fresh processes of each
 * target in turn, 2 `serve` + 2 `worker` processes (`--log-level warn`, default shards):
 *
 * - HTTP: one wrk per server (-t1 -c25, `GET /hello`), with INFO commandstats of every primary
 *   read before and after: commands per request, and the busiest primary's share of them;
 * - broadcast: 1,000 WebSocket members of group 'room', half on each server, and `groupSend`
 *   from a layer of the bench's own on the target, one every 20 ms: send → last receipt.
 *
 * Run by `npm run bench` (after the main table) and alone by `npm run bench:cluster`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisLayer } from '../../channel-layer/index.js';
import { randomPrefix, type LayerEnv } from '../../test/helpers/processes.js';
import { startRedisCluster } from '../../test/helpers/redis-cluster.js';
import { RedisServer } from '../../test/helpers/redis-server.js';
import { formatSpread, percentile, spread } from '../stats.js';
import { killEverything } from '../suite/children.js';
import { Client } from '../suite/client-api.js';
import { broadcastText, now } from '../suite/client-protocol.js';
import { BROADCAST_TIMEOUT_MS, BROADCAST_WARMUPS, OPEN_CONCURRENCY } from '../suite/config.js';
import { startServe, startWorker, type Started } from '../suite/start.js';
import { wrk } from '../suite/tools.js';

export interface ClusterBenchOptions {
  rounds: number;
  /** Seconds of measured HTTP load per round. */
  seconds: number;
  /** Members of the broadcast group (half on each server). */
  members: number;
  /** Measured broadcasts per round. */
  broadcasts: number;
}

interface Round {
  requestsPerSecond: number;
  commandsPerRequest: number;
  /** The busiest primary's share of all commands (1 for one Redis). */
  busiestShare: number;
  perPrimary: number[];
  /** Broadcast send → last member's receipt, median of the round's complete broadcasts (ms). */
  broadcastP50: number | undefined;
  /** Receipts missing after the timeout, over the round's broadcasts. */
  losses: number;
}

interface Backing {
  layer: LayerEnv;
  flags: string[];
  /** Where the bench's own layer (the broadcast's sender) connects. */
  target: { url: string; cluster?: string };
  primaries(): Promise<{ host: string; port: number }[]>;
  stop(): Promise<void>;
}

interface Target {
  label: string;
  start(): Promise<Backing>;
}

const TARGETS: Target[] = [
  {
    label: 'one Redis',
    async start() {
      const redis = await RedisServer.start();
      const [host, port] = [new URL(redis.url).hostname, Number(new URL(redis.url).port)];
      return { layer: { redisUrl: redis.url, prefix: randomPrefix('bench') }, flags: [], target: { url: redis.url }, primaries: async () => [{ host, port }], stop: () => redis.stop() };
    },
  },
  {
    label: 'Redis Cluster, 3 primaries',
    async start() {
      const cluster = await startRedisCluster();
      return {
        layer: { redisUrl: 'redis://127.0.0.1', prefix: randomPrefix('bench') },
        flags: ['--redis-cluster', cluster.seeds],
        target: { url: 'redis://127.0.0.1', cluster: cluster.seeds },
        primaries: async () => (await cluster.primaries()).map(({ host, port }) => ({ host, port })),
        stop: () => cluster.stop(),
      };
    },
  },
];

/** What INFO commandstats counts that is not switchyard's traffic: the bench's reads and the cluster's own upkeep. */
const HOUSEKEEPING = new Set(['info', 'cluster|nodes', 'cluster|slots', 'cluster|info', 'client|setname', 'ping']);

/** Total calls of one server, from INFO commandstats. */
async function commandCalls(address: { host: string; port: number }): Promise<number> {
  const redis = new Redis({ ...address, lazyConnect: true });
  try {
    await redis.connect();
    const info = await redis.info('commandstats');
    let total = 0;
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (!HOUSEKEEPING.has(match[1]!)) total += Number(match[2]);
    return total;
  } finally {
    redis.disconnect();
  }
}

async function round(target: Target, options: ClusterBenchOptions): Promise<Round> {
  const backing = await target.start();
  const servers: Started[] = [];
  try {
    const flags = [...backing.flags, '--log-level', 'warn'];
    servers.push(await startServe(backing.layer, flags), await startServe(backing.layer, flags));
    startWorker(backing.layer, flags);
    startWorker(backing.layer, flags);
    for (const server of servers) await untilServing(server.port);
    const http = await measureHttp(servers, backing, options.seconds);
    const broadcast = await measureBroadcast(servers, backing, options);
    return { ...http, ...broadcast };
  } finally {
    await killEverything();
    await backing.stop();
  }
}

async function measureHttp(servers: Started[], backing: Backing, seconds: number): Promise<Pick<Round, 'requestsPerSecond' | 'commandsPerRequest' | 'busiestShare' | 'perPrimary'>> {
  const load = (s: number) => Promise.all(servers.map((server) => wrk(`http://127.0.0.1:${server.port}/hello`, { connections: 25, threads: 1, seconds: s })));
  await load(2); // warm-up
  const primaries = await backing.primaries();
  const before = await Promise.all(primaries.map(commandCalls));
  const loads = await load(seconds);
  const after = await Promise.all(primaries.map(commandCalls));
  const perPrimary = after.map((calls, i) => calls - before[i]!);
  const commands = perPrimary.reduce((a, b) => a + b, 0);
  const requests = loads.reduce((sum, result) => sum + result.requests, 0);
  const problems = loads.flatMap((result) => result.problems);
  if (problems.length > 0) console.error(`  ${problems.join('; ')}`);
  return {
    requestsPerSecond: loads.reduce((sum, result) => sum + result.requestsPerSecond, 0),
    commandsPerRequest: commands / requests,
    busiestShare: Math.max(...perPrimary) / commands,
    perPrimary,
  };
}

async function measureBroadcast(servers: Started[], backing: Backing, options: ClusterBenchOptions): Promise<Pick<Round, 'broadcastP50' | 'losses'>> {
  const client = await Client.start();
  const sender = new RedisLayer({ ...backing.target, prefix: backing.layer.prefix });
  try {
    await sender.waitUntilReady(10_000);
    const half = Math.ceil(options.members / 2);
    for (const [i, server] of servers.entries()) {
      const count = i === 0 ? half : options.members - half;
      const opened = await client.request({ cmd: 'open', url: `ws://127.0.0.1:${server.port}/ws/room`, count, concurrency: OPEN_CONCURRENCY }, 'opened', 120_000);
      if (opened.failed > 0) console.error(`  ${opened.failed} of ${count} members failed to connect: ${opened.errors.join('; ')}`);
    }
    const send = async (id: number) => {
      await sender.groupSend('room', { type: 'websocket.send', text: broadcastText(id, now()) });
      return client.request({ cmd: 'broadcast', id, send: false, timeoutMs: BROADCAST_TIMEOUT_MS }, 'broadcast', BROADCAST_TIMEOUT_MS + 15_000);
    };
    for (let id = 0; id < BROADCAST_WARMUPS; id++) await send(id);
    const answers = [];
    for (let id = BROADCAST_WARMUPS; id < BROADCAST_WARMUPS + options.broadcasts; id++) {
      answers.push(await send(id));
      await sleep(20);
    }
    const complete = answers.filter((answer) => answer.received === answer.expected && answer.lastMs !== undefined).map((answer) => answer.lastMs!);
    const losses = answers.reduce((sum, answer) => sum + answer.expected - answer.received, 0);
    return { broadcastP50: complete.length > 0 ? percentile([...complete].sort((a, b) => a - b), 50) : undefined, losses };
  } finally {
    await sender.close();
    await client.stop();
  }
}

async function untilServing(port: number): Promise<void> {
  for (let tries = 0; ; tries++) {
    const status = await fetch(`http://127.0.0.1:${port}/hello`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (tries > 100) throw new Error(`the server on port ${port} never answered 200 (last: ${status})`);
    await sleep(100);
  }
}

/** Runs the rounds, interleaving the targets (the order flips each round); returns the section as Markdown. */
export async function compareCluster(options: ClusterBenchOptions): Promise<string> {
  const results = new Map<Target, Round[]>(TARGETS.map((target) => [target, []]));
  for (let run = 1; run <= options.rounds; run++) {
    for (const target of run % 2 === 1 ? TARGETS : [...TARGETS].reverse()) {
      console.error(`[cluster round ${run}/${options.rounds}] ${target.label}`);
      const result = await round(target, options);
      console.error(
        `  ${result.requestsPerSecond.toFixed(0)} req/s, ${result.commandsPerRequest.toFixed(3)} commands/request, per primary: ${result.perPrimary.join(' / ')}; ` +
          `broadcast p50 ${result.broadcastP50?.toFixed(2) ?? '—'} ms, ${result.losses} lost`,
      );
      results.get(target)!.push(result);
    }
  }
  const base = results.get(TARGETS[0]!)!;
  const lines = [
    `2 serve + 2 worker (--log-level warn). HTTP: wrk -t1 -c25 ${options.seconds} s per server on /hello. Broadcast: ${options.members.toLocaleString('en-US')} WebSocket members of one group, ` +
      `half on each server, ${options.broadcasts} groupSends 20 ms apart. ${options.rounds} interleaved rounds on fresh processes; median (min–max); ratios round by round against one Redis. ` +
      'Commands: INFO commandstats of every primary during the HTTP load, without the bench\'s and the cluster\'s housekeeping. Target (issue 16): no primary above 50 % of the commands.',
    '',
    "| target | HTTP requests/s | ÷ one Redis | commands per request | busiest primary's share | broadcast send → last receipt p50 (ms) | ÷ one Redis | broadcast losses |",
    '| --- | --: | --: | --: | --: | --: | --: | --: |',
  ];
  for (const target of TARGETS) {
    const rounds = results.get(target)!;
    const ratio = rounds.map((r, i) => r.requestsPerSecond / base[i]!.requestsPerSecond);
    const p50s = rounds.flatMap((r) => (r.broadcastP50 === undefined ? [] : [r.broadcastP50]));
    const p50Ratios = rounds.flatMap((r, i) => (r.broadcastP50 === undefined || base[i]!.broadcastP50 === undefined ? [] : [r.broadcastP50 / base[i]!.broadcastP50!]));
    const share = spread(rounds.map((r) => r.busiestShare));
    const verdict = target === TARGETS[0] ? '' : share.max <= 0.5 ? ' ✓' : ' ✗';
    lines.push(
      `| ${target.label} | ${formatSpread(spread(rounds.map((r) => r.requestsPerSecond)), (n) => n.toFixed(0))} | ${formatSpread(spread(ratio), (n) => n.toFixed(2))} | ` +
        `${formatSpread(spread(rounds.map((r) => r.commandsPerRequest)), (n) => n.toFixed(3))} | ${formatSpread(share, (n) => `${(100 * n).toFixed(0)} %`)}${verdict} | ` +
        `${p50s.length > 0 ? formatSpread(spread(p50s), (n) => n.toFixed(2)) : '—'} | ${p50Ratios.length > 0 ? formatSpread(spread(p50Ratios), (n) => n.toFixed(2)) : '—'} | ` +
        `${rounds.reduce((sum, r) => sum + r.losses, 0)} |`,
    );
  }
  lines.push('', `Commands per primary, round by round: ${results.get(TARGETS[1]!)!.map((r) => r.perPrimary.join(' / ')).join('; ')}.`);
  return lines.join('\n');
}
