/**
 * `npm run bench:fanout`: how a group message best reaches the processes that hold members, on
 * a local 3-primary Redis Cluster (issue 16 asked to measure both and keep the faster):
 *
 * - **lists** (what the layer does): `groupSend` reads the group's live members on the group's
 *   slot, then pushes one envelope to each holding process's inbox list (on the sender's home
 *   shard), which the process pops: at-most-once within the expiry, capacity-bounded, buffered
 *   through a short disconnect;
 * - **sharded pub/sub**: one `SPUBLISH` to a shard channel in the group's slot, which every holding
 *   process has `SSUBSCRIBE`d to: nothing kept, so a process that is reconnecting misses it, and no
 *   capacity or expiry. Here as raw ioredis clients, the least it could cost.
 *
 * Both in this one process, `PROCESSES` holders of one member each, group messages sent in bursts
 * and one at a time (SHAPES); measured: group messages a second until every holder has each, and the
 * Redis commands per group message (INFO commandstats of every primary). Rounds alternate.
 */
import { Redis } from 'ioredis';
import calculateSlot from 'cluster-key-slot';
import { RedisLayer } from '../../channel-layer/index.js';
import { startRedisCluster, type RedisCluster } from '../../test/helpers/redis-cluster.js';
import { formatSpread, spread } from '../stats.js';

const PROCESSES = 4;
const ROUNDS = 3;
/** Bursts (all sent in one synchronous run, then awaited) and one at a time. */
const SHAPES = [
  { burst: 200, messages: 20_000 },
  { burst: 1, messages: 2_000 },
] as const;
type Shape = (typeof SHAPES)[number];

interface Result {
  perSecond: number;
  commandsPerMessage: number;
}

async function commandCalls(cluster: RedisCluster): Promise<number> {
  let total = 0;
  for (const node of await cluster.primaries()) {
    const redis = new Redis({ host: node.host, port: node.port });
    const info = await redis.info('commandstats');
    redis.disconnect();
    for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (!['info', 'cluster|nodes', 'cluster|slots', 'cluster|info', 'ping'].includes(match[1]!)) total += Number(match[2]);
  }
  return total;
}

/** Resolves once `count()` reaches `target`, polling each millisecond. */
async function until(count: () => number, target: number): Promise<void> {
  while (count() < target) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function viaLists(cluster: RedisCluster, { burst: BURST, messages: MESSAGES }: Shape): Promise<Result> {
  const prefix = `fanout-${Math.random().toString(36).slice(2, 8)}`;
  const options = { url: 'redis://127.0.0.1', cluster: cluster.seeds, prefix };
  const sender = new RedisLayer(options);
  const holders = Array.from({ length: PROCESSES }, () => new RedisLayer(options));
  let delivered = 0;
  try {
    await Promise.all([sender, ...holders].map((layer) => layer.waitUntilReady()));
    for (const holder of holders) {
      const member = holder.openChannel({ deliver: () => void delivered++, lost: () => {}, joinsGroups: true });
      await holder.groupAdd('room', member);
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // the holders' heartbeats and pops are in place
    const before = await commandCalls(cluster);
    const started = performance.now();
    for (let sent = 0; sent < MESSAGES; sent += BURST) {
      await Promise.all(Array.from({ length: BURST }, (_, i) => sender.groupSend('room', { type: 'm', i: sent + i })));
    }
    await until(() => delivered, MESSAGES * PROCESSES);
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: MESSAGES / seconds, commandsPerMessage: ((await commandCalls(cluster)) - before) / MESSAGES };
  } finally {
    await Promise.all([sender, ...holders].map((layer) => layer.close()));
  }
}

async function viaShardedPubSub(cluster: RedisCluster, { burst: BURST, messages: MESSAGES }: Shape): Promise<Result> {
  const channel = `fanout-${Math.random().toString(36).slice(2, 8)}:group:{room}`;
  const slot = calculateSlot(channel);
  const owner = (await cluster.primaries()).find((node) => node.slots.some(([from, to]) => from <= slot && slot <= to))!;
  const publisher = new Redis({ host: owner.host, port: owner.port });
  const subscribers = Array.from({ length: PROCESSES }, () => new Redis({ host: owner.host, port: owner.port }));
  let delivered = 0;
  try {
    for (const subscriber of subscribers) {
      subscriber.on('smessageBuffer', () => void delivered++);
      await subscriber.ssubscribe(channel);
    }
    const before = await commandCalls(cluster);
    const started = performance.now();
    for (let sent = 0; sent < MESSAGES; sent += BURST) {
      await Promise.all(Array.from({ length: BURST }, (_, i) => publisher.spublish(channel, `m:${sent + i}`)));
    }
    await until(() => delivered, MESSAGES * PROCESSES);
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: MESSAGES / seconds, commandsPerMessage: ((await commandCalls(cluster)) - before) / MESSAGES };
  } finally {
    for (const client of [publisher, ...subscribers]) client.disconnect();
  }
}

async function main(): Promise<void> {
  const cluster = await startRedisCluster();
  try {
    const rows: string[] = [];
    for (const shape of SHAPES) {
      const lists: Result[] = [];
      const pubsub: Result[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (const useLists of round % 2 === 0 ? [true, false] : [false, true]) {
          const result = useLists ? await viaLists(cluster, shape) : await viaShardedPubSub(cluster, shape);
          (useLists ? lists : pubsub).push(result);
          console.error(`bursts of ${shape.burst}, round ${round + 1}: ${useLists ? 'lists' : 'sharded pub/sub'}: ${result.perSecond.toFixed(0)} group messages/s, ${result.commandsPerMessage.toFixed(2)} commands each`);
        }
      }
      for (const [label, results] of [["lists, one push per holding process (the layer's groupSend)", lists], ['sharded pub/sub, one SPUBLISH (raw ioredis)', pubsub]] as const) {
        const ratios = results.map((result, i) => result.perSecond / lists[i]!.perSecond);
        rows.push(
          `| ${shape.burst === 1 ? 'one at a time' : `bursts of ${shape.burst}`}, ${shape.messages.toLocaleString('en-US')} messages | ${label} | ${formatSpread(spread(results.map((r) => r.perSecond)), (n) => n.toFixed(0))} | ` +
            `${formatSpread(spread(ratios), (n) => n.toFixed(2))} | ${formatSpread(spread(results.map((r) => r.commandsPerMessage)), (n) => n.toFixed(2))} |`,
        );
      }
    }
    console.log(`\n${PROCESSES} holders of one member each, ${ROUNDS} alternating rounds; median (min–max)\n`);
    console.log('| sent | how a group message reaches the holders | group messages/s | ÷ lists | Redis commands per group message |');
    console.log('| --- | --- | --: | --: | --: |');
    for (const row of rows) console.log(row);
  } finally {
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
