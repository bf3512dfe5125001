/**
 * Group history: what recording costs a broadcast, and how long 1,000 clients take to catch up
 * after their interface server restarts. One Redis, 1 `serve` + 1 `worker` (`--log-level warn`),
 * the clients switchyard/client (Node, `ws`) in this process; a group with history (`hist.*`)
 * beside the same group without (`plain.*`), in the same run, rounds interleaved:
 *
 * - broadcast: 1,000 members; `groupSend` of a `websocket.send` from a layer of the bench's own,
 *   one every 20 ms, send → last member's receipt (p50); then a burst of 200 sent back to back,
 *   first send → last receipt, as broadcasts/s;
 * - recovery: 1,000 members; the server is stopped (SIGTERM, so every client is cut off), 50
 *   messages are sent while it is down, a new server starts on the port; time from its start to
 *   the moment every client is back (plain) or back with the 50 messages it missed (history).
 *   Clients wait 100 ms–1 s between attempts (backoff with jitter), in both.
 *
 *     npm run bench:history [-- --quick]
 *
 * Also run by `npm run bench` (section 10).
 */
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { RedisLayer } from '../channel-layer/index.js';
import { SwitchyardClient } from '../client/index.js';
import { childEnv, killAll, listening, randomPrefix, ROOT, startWorker, SwitchyardProcess, type LayerEnv, type Listening } from '../test/helpers/processes.js';
import { RedisServer } from '../test/helpers/redis-server.js';
import { formatSpread, percentile, spread } from './stats.js';

const APP = relative(ROOT, fileURLToPath(new URL('./apps/history-app.ts', import.meta.url)));
const RULE = [{ pattern: 'hist.*', size: 5000, maxAgeMs: 600_000 }];

export interface HistoryBenchOptions {
  rounds: number;
  members: number;
}

interface Member {
  client: SwitchyardClient;
  /** Receipt time of each message, by its number. */
  at: Map<number, number>;
  opened: number;
}

async function members(url: string, count: number): Promise<Member[]> {
  const all: Member[] = [];
  for (let i = 0; i < count; i++) {
    const client = new SwitchyardClient(url, { WebSocket: WebSocket as never, minDelayMs: 100, maxDelayMs: 1_000 });
    const member: Member = { client, at: new Map(), opened: 0 };
    client.on('open', () => void member.opened++);
    client.on('json', (value) => member.at.set((value as { n: number }).n, performance.now()));
    all.push(member);
    if (i % 100 === 99) await sleep(50); // not 1,000 handshakes in one instant
  }
  await until(() => all.every((m) => m.opened > 0), 30_000, 'every member to connect');
  await sleep(500); // their joins reach the group
  return all;
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const send = (layer: RedisLayer, group: string, n: number): Promise<unknown> => layer.groupSend(group, { type: 'websocket.send', text: `{"n":${n}}` });

interface Round {
  p50: number;
  burstPerS: number;
  recoveryMs: number;
}

async function round(redis: RedisServer, group: string, count: number): Promise<Round> {
  const layer: LayerEnv = { redisUrl: redis.url, prefix: randomPrefix('history-bench') };
  const env = childEnv({ REDIS_URL: layer.redisUrl, SWITCHYARD_PREFIX: layer.prefix });
  let server: Listening = await listening(new SwitchyardProcess(['serve', APP, '--port', '0', '--log-level', 'info', '--log-format', 'json'], env));
  await startWorker(APP, layer, ['--log-level', 'info']);
  const publisher = new RedisLayer({ url: redis.url, prefix: layer.prefix, groupHistory: RULE });
  await publisher.waitUntilReady();
  const all = await members(`${server.wsUrl}/ws/${group}`, count);
  let n = 0;
  // One at a time.
  const latencies: number[] = [];
  for (let i = 0; i < 50; i++) {
    const sent = performance.now();
    const mine = ++n;
    await send(publisher, group, mine);
    await until(() => all.every((m) => m.at.has(mine)), 10_000, `broadcast ${mine}`);
    latencies.push(Math.max(...all.map((m) => m.at.get(mine)!)) - sent);
    await sleep(20);
  }
  // A burst.
  const burstStart = performance.now();
  for (let i = 0; i < 200; i++) await send(publisher, group, ++n);
  const last = n;
  await until(() => all.every((m) => m.at.has(last)), 30_000, 'the burst');
  const burstMs = Math.max(...all.map((m) => m.at.get(last)!)) - burstStart;
  // Recovery.
  const opens = all.map((m) => m.opened);
  const port = server.port;
  await server.proc.stop();
  const missedFrom = n + 1;
  for (let i = 0; i < 50; i++) await send(publisher, group, ++n);
  const restart = performance.now();
  server = await listening(new SwitchyardProcess(['serve', APP, '--port', String(port), '--log-level', 'info', '--log-format', 'json'], env));
  const caughtUp = group.startsWith('hist.')
    ? () => all.every((m) => m.at.has(n))
    : () => all.every((m, i) => m.opened > opens[i]!);
  await until(caughtUp, 60_000, 'every client back');
  const recoveryMs = performance.now() - restart;
  if (group.startsWith('hist.')) {
    const complete = all.filter((m) => Array.from({ length: n - missedFrom + 1 }, (_, i) => missedFrom + i).every((k) => m.at.has(k))).length;
    if (complete !== all.length) throw new Error(`only ${complete} of ${all.length} clients recovered every missed message`);
  }
  for (const m of all) m.client.close();
  await publisher.close();
  await killAll();
  return { p50: percentile(latencies.sort((a, b) => a - b), 0.5), burstPerS: (200 / burstMs) * 1000, recoveryMs };
}

/** Runs the rounds and returns the section's markdown table. */
export async function compareHistory({ rounds, members: count }: HistoryBenchOptions): Promise<string> {
  const redis = await RedisServer.start();
  const results = { hist: [] as Round[], plain: [] as Round[] };
  try {
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (['plain', 'hist'] as const) : (['hist', 'plain'] as const);
      for (const kind of order) {
        console.error(`[history ${r + 1}/${rounds}] ${kind}`);
        const result = await round(redis, `${kind}.bench${r}`, count);
        console.error(`    p50 ${result.p50.toFixed(1)} ms, burst ${result.burstPerS.toFixed(0)}/s, back ${result.recoveryMs.toFixed(0)} ms`);
        results[kind].push(result);
      }
    }
  } finally {
    await killAll();
    await redis.stop();
  }
  const ratio = (pick: (r: Round) => number): string =>
    formatSpread(spread(results.hist.map((h, i) => pick(h) / pick(results.plain[i]!))), (x) => `${x.toFixed(2)}×`);
  const cell = (kind: 'hist' | 'plain', pick: (r: Round) => number, digits: number): string => formatSpread(spread(results[kind].map(pick)), (x) => x.toFixed(digits));
  return [
    `${count} members, ${rounds} round(s); median (min–max); ratio = history ÷ no history, round by round.`,
    '',
    '| | broadcast p50, send → last receipt (ms) | burst of 200: broadcasts/s | server restart → every client back (ms) |',
    '| --- | --: | --: | --: |',
    `| group without history | ${cell('plain', (r) => r.p50, 1)} | ${cell('plain', (r) => r.burstPerS, 0)} | ${cell('plain', (r) => r.recoveryMs, 0)} (reconnected) |`,
    `| group with history | ${cell('hist', (r) => r.p50, 1)} | ${cell('hist', (r) => r.burstPerS, 0)} | ${cell('hist', (r) => r.recoveryMs, 0)} (reconnected, 50 missed messages each recovered) |`,
    `| ratio | ${ratio((r) => r.p50)} | ${ratio((r) => r.burstPerS)} | ${ratio((r) => r.recoveryMs)} |`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  compareHistory({ rounds: quick ? 1 : 3, members: 1000 })
    .then((table) => console.log(`## Group history: ${new Date().toISOString().slice(0, 10)}\n\n${table}\n`))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
