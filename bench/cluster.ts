/**
 * `npm run bench:cluster`: switchyard on one Redis beside a local Redis Cluster (3 primaries,
 * 3 replicas), same machine, so parity is what to expect, not a speed-up. Each round runs, on
 * fresh processes of each target in turn, 2 `serve` + 2 `worker` processes (`--log-level warn`)
 * under one wrk per server (-t1 -c25, `GET /hello`), and reads INFO commandstats of every
 * primary before and after: the commands per request and the busiest primary's share of them.
 * Prints a table of medians (min–max) over the rounds; ratios are run by run against one Redis.
 * Needs wrk and redis-server. Usage: npm run bench:cluster [-- --rounds N --seconds S]
 */
import { Redis } from 'ioredis';
import { randomPrefix, waitForBlockedWorkers, type LayerEnv } from '../test/helpers/processes.js';
import { startRedisCluster } from '../test/helpers/redis-cluster.js';
import { RedisServer } from '../test/helpers/redis-server.js';
import { formatSpread, spread } from './stats.js';
import { killEverything } from './suite/children.js';
import { startServe, startWorker, type Started } from './suite/start.js';
import { wrk } from './suite/tools.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const ROUNDS = option('rounds', 3);
const SECONDS = option('seconds', 5);

interface Round {
  requestsPerSecond: number;
  commandsPerRequest: number;
  /** The busiest primary's share of all commands (1 for one Redis). */
  busiestShare: number;
  perPrimary: number[];
}

interface Target {
  label: string;
  /** Flags and environment for switchyard, the primaries' addresses, and how to stop it. */
  start(): Promise<{ layer: LayerEnv; flags: string[]; primaries: () => Promise<{ host: string; port: number }[]>; stop(): Promise<void> }>;
}

const TARGETS: Target[] = [
  {
    label: 'one Redis',
    async start() {
      const redis = await RedisServer.start();
      const [host, port] = [new URL(redis.url).hostname, Number(new URL(redis.url).port)];
      return { layer: { redisUrl: redis.url, prefix: randomPrefix('bench') }, flags: [], primaries: async () => [{ host, port }], stop: () => redis.stop() };
    },
  },
  {
    label: 'Redis Cluster, 3 primaries',
    async start() {
      const cluster = await startRedisCluster();
      return {
        layer: { redisUrl: 'redis://127.0.0.1', prefix: randomPrefix('bench') },
        flags: ['--redis-cluster', cluster.seeds],
        primaries: async () => (await cluster.primaries()).map(({ host, port }) => ({ host, port })),
        stop: () => cluster.stop(),
      };
    },
  },
];

/** Total calls per command of one server, from INFO commandstats. */
async function commandCalls(address: { host: string; port: number }): Promise<number> {
  const redis = new Redis({ ...address, lazyConnect: true });
  try {
    await redis.connect();
    const info = await redis.info('commandstats');
    let total = 0;
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (!['info', 'cluster|nodes', 'cluster|slots', 'cluster|info', 'client|setname', 'ping'].includes(match[1]!)) total += Number(match[2]);
    return total;
  } finally {
    redis.disconnect();
  }
}

async function round(target: Target): Promise<Round> {
  const backing = await target.start();
  const servers: Started[] = [];
  try {
    const flags = [...backing.flags, '--log-level', 'warn'];
    servers.push(await startServe(backing.layer, flags), await startServe(backing.layer, flags));
    startWorker(backing.layer, flags);
    startWorker(backing.layer, flags);
    if (backing.flags.length === 0) await waitForBlockedWorkers(backing.layer.redisUrl, 2);
    for (const server of servers) await untilServing(server.port);
    // Warm-up, then the measured run.
    await Promise.all(servers.map((server) => wrk(`http://127.0.0.1:${server.port}/hello`, { connections: 25, threads: 1, seconds: 2 })));
    const primaries = await backing.primaries();
    const before = await Promise.all(primaries.map(commandCalls));
    const loads = await Promise.all(servers.map((server) => wrk(`http://127.0.0.1:${server.port}/hello`, { connections: 25, threads: 1, seconds: SECONDS })));
    const after = await Promise.all(primaries.map(commandCalls));
    const perPrimary = after.map((calls, i) => calls - before[i]!);
    const commands = perPrimary.reduce((a, b) => a + b, 0);
    const requests = loads.reduce((sum, load) => sum + load.requests, 0);
    const problems = loads.flatMap((load) => load.problems);
    if (problems.length > 0) console.error(`  ${target.label}: ${problems.join('; ')}`);
    return {
      requestsPerSecond: loads.reduce((sum, load) => sum + load.requestsPerSecond, 0),
      commandsPerRequest: commands / requests,
      busiestShare: Math.max(...perPrimary) / commands,
      perPrimary,
    };
  } finally {
    await killEverything();
    await backing.stop();
  }
}

async function untilServing(port: number): Promise<void> {
  for (let tries = 0; ; tries++) {
    const status = await fetch(`http://127.0.0.1:${port}/hello`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (tries > 100) throw new Error(`the server on port ${port} never answered 200 (last: ${status})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<void> {
  const results = new Map<Target, Round[]>(TARGETS.map((target) => [target, []]));
  for (let run = 1; run <= ROUNDS; run++) {
    for (const target of run % 2 === 1 ? TARGETS : [...TARGETS].reverse()) {
      console.error(`[round ${run}/${ROUNDS}] ${target.label}`);
      const result = await round(target);
      console.error(`  ${result.requestsPerSecond.toFixed(0)} req/s, ${result.commandsPerRequest.toFixed(3)} commands/request, per primary: ${result.perPrimary.join(' / ')}`);
      results.get(target)!.push(result);
    }
  }
  const base = results.get(TARGETS[0]!)!;
  console.log(`\n2 serve + 2 worker (--log-level warn), wrk -t1 -c25 ${SECONDS} s per server on /hello, ${ROUNDS} interleaved rounds; median (min–max)\n`);
  console.log('| target | requests/s | ÷ one Redis | commands per request | busiest primary\'s share of commands |');
  console.log('| --- | --: | --: | --: | --: |');
  for (const target of TARGETS) {
    const rounds = results.get(target)!;
    const ratio = rounds.map((r, i) => r.requestsPerSecond / base[i]!.requestsPerSecond);
    console.log(
      `| ${target.label} | ${formatSpread(spread(rounds.map((r) => r.requestsPerSecond)), (n) => n.toFixed(0))} | ${formatSpread(spread(ratio), (n) => n.toFixed(2))} | ` +
        `${formatSpread(spread(rounds.map((r) => r.commandsPerRequest)), (n) => n.toFixed(3))} | ${formatSpread(spread(rounds.map((r) => r.busiestShare)), (n) => `${(100 * n).toFixed(0)} %`)} |`,
    );
  }
}

main().then(
  () => process.exit(0),
  async (error: unknown) => {
    console.error(error);
    await killEverything();
    process.exit(1);
  },
);
