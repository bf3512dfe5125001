/**
 * The Redis channel layer against raw ioredis LPUSH + BRPOP, on a redis-server of its own.
 * Prints one markdown table to stdout (progress goes to stderr).
 *
 *     npm run bench:layer [-- --quick]
 *
 * Producer and consumer are separate processes (worker.ts), as deployed. Scenarios alternate
 * run by run, so the machine's noise hits both alike; each cell is median (min–max) of runs.
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { encodeEnvelope } from '../schemas/index.js';
import { callsBetween, commandCalls } from '../test/helpers/commandstats.js';
import { RedisServer } from '../test/helpers/redis-server.js';
import { benchMessage, type FromWorker, type Phase, type Role, type Scenario, type ToWorker } from './protocol.js';
import { nextMessage } from './child-message.js';
import { formatSpread, spread } from './stats.js';

const QUICK = process.argv.includes('--quick');
const SIZE = QUICK ? { runs: 1, warmup: 500, load: 5_000, single: 200 } : { runs: 3, warmup: 2_000, load: 50_000, single: 1_000 };
const WINDOW = 1_000;
const CHANNEL = 'bench.q';
const PHASES = {
  /** Connections, JIT and Redis's script cache are warm before anything is measured. */
  warmup: { count: SIZE.warmup, window: WINDOW, ackEvery: 100 },
  load: { count: SIZE.load, window: WINDOW, ackEvery: 100 },
  /** One message at a time: the next is sent once the consumer has the previous one. */
  single: { count: SIZE.single, window: 1, ackEvery: 1 },
} satisfies Record<string, Phase>;
const TIMEOUT_MS = 120_000;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKER = fileURLToPath(new URL('worker.ts', import.meta.url));

interface RunResult {
  throughput: number;
  loadP50: number;
  loadP99: number;
  singleP50: number;
  singleP99: number;
  /** Redis command calls per message during the load phase, by command. */
  perMessage: Map<string, number>;
}

/**
 * Commands the layer's Lua scripts call. Redis counts them in commandstats like any other,
 * but they cost no round trip; neither scenario sends them itself.
 */
const LUA_COMMANDS = luaCommands();

function luaCommands(): Set<string> {
  const dir = new URL('../channel-layer/redis/lua/', import.meta.url);
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.lua'));
  const source = files.map((file) => readFileSync(new URL(file, dir), 'utf8')).join('\n');
  return new Set([...source.matchAll(/redis\.call\('(\w+)'/g)].map(([, name]) => name!.toLowerCase()));
}

async function main(): Promise<void> {
  const redis = await RedisServer.start();
  const admin = new Redis(redis.url);
  process.once('SIGINT', () => void redis.stop().finally(() => process.exit(130)));
  try {
    const results: Record<Scenario, RunResult[]> = { baseline: [], layer: [] };
    for (let run = 1; run <= SIZE.runs; run++) {
      for (const scenario of ['baseline', 'layer'] as const) {
        console.error(`run ${run}/${SIZE.runs}: ${scenario}`);
        results[scenario].push(await measure(scenario, run, redis.url, admin));
      }
    }
    console.log(table(results));
    console.log(await environment(admin));
  } finally {
    admin.disconnect();
    await redis.stop();
  }
}

/** One run of one scenario, with fresh worker processes and an empty Redis. */
async function measure(scenario: Scenario, run: number, url: string, admin: Redis): Promise<RunResult> {
  await admin.flushall();
  const prefix = `bench-${run}-${scenario}`;
  const producer = startWorker('producer', scenario, url, prefix);
  const consumer = startWorker('consumer', scenario, url, prefix);
  try {
    await Promise.all([waitFor(producer, 'ready'), waitFor(consumer, 'ready')]);
    consumer.on('message', (message: FromWorker) => message.kind === 'acked' && tell(producer, message));
    await runPhase(producer, consumer, PHASES.warmup);
    const before = await commandCalls(url);
    const load = await runPhase(producer, consumer, PHASES.load);
    const calls = callsBetween(before, await commandCalls(url));
    const single = await runPhase(producer, consumer, PHASES.single);
    const perMessage = new Map([...calls].map(([command, n]) => [command, n / PHASES.load.count]));
    return { throughput: load.throughput, loadP50: load.p50, loadP99: load.p99, singleP50: single.p50, singleP99: single.p99, perMessage };
  } finally {
    await Promise.all([stopWorker(producer), stopWorker(consumer)]);
  }
}

async function runPhase(producer: ChildProcess, consumer: ChildProcess, phase: Phase) {
  // Listening before telling: a fast phase could answer before a later listener exists.
  const produced = waitFor(producer, 'produced');
  const consumed = waitFor(consumer, 'consumed');
  tell(consumer, { kind: 'run', phase });
  tell(producer, { kind: 'run', phase });
  const [{ startedAt }, { lastAt, p50, p99 }] = await Promise.all([produced, consumed]);
  return { throughput: phase.count / ((lastAt - startedAt) / 1000), p50, p99 };
}

function startWorker(role: Role, scenario: Scenario, url: string, prefix: string): ChildProcess {
  // A worker's stdout goes to our stderr: stdout carries the table only.
  return fork(WORKER, [role, scenario, url, prefix, CHANNEL], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 2, 2, 'ipc'],
  });
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  if (child.connected) tell(child, { kind: 'exit' });
  else child.kill();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function tell(child: ChildProcess, message: ToWorker): void {
  child.send(message);
}

/** The worker's next message of `kind`; rejects if it exits or takes too long. */
function waitFor<K extends FromWorker['kind']>(child: ChildProcess, kind: K): Promise<Extract<FromWorker, { kind: K }>> {
  return nextMessage<FromWorker, K>(child, kind, { timeoutMs: TIMEOUT_MS, label: 'worker' });
}

function table(results: Record<Scenario, RunResult[]>): string {
  const bytes = encodeEnvelope(CHANNEL, benchMessage()).length;
  const ratios = results.layer.map((run, i) => run.throughput / results.baseline[i]!.throughput);
  const caption =
    `**switchyard RedisLayer vs raw ioredis**: ${SIZE.load.toLocaleString('en-US')} messages at load ` +
    `(at most ${WINDOW.toLocaleString('en-US')} sent but not yet received), then ${SIZE.single.toLocaleString('en-US')} ` +
    `one at a time (send, wait until received); ${bytes}-byte envelopes, the same bytes in both scenarios; ` +
    `producer and consumer in separate Node processes. ${SIZE.runs} run(s) per scenario, alternating; cells are ` +
    `median (min–max). Latency is one-way, send call to receipt. Round trips = top-level Redis commands; ` +
    `commands = all of INFO commandstats including those run inside Lua, both per message at load.`;
  return [
    caption,
    '',
    '| scenario | msgs/s at load | layer / baseline | p50 at load (ms) | p99 at load (ms) | p50 one at a time (ms) | p99 one at a time (ms) | round trips/msg | commands/msg | per message, by command (median) |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|---|',
    row('baseline: ioredis LPUSH + BRPOP', results.baseline, '1.00'),
    row('switchyard RedisLayer: send + receive(max 100)', results.layer, formatSpread(spread(ratios), (n) => n.toFixed(2))),
  ].join('\n');
}

function row(name: string, runs: RunResult[], ratio: string): string {
  const cell = (pick: (run: RunResult) => number, format: (n: number) => string): string =>
    formatSpread(spread(runs.map(pick)), format);
  const integer = (n: number): string => Math.round(n).toLocaleString('en-US');
  const ms = (n: number): string => n.toFixed(3);
  const count = (n: number): string => n.toFixed(3);
  const sum = (run: RunResult, lua: boolean): number =>
    [...run.perMessage].reduce((total, [command, n]) => (LUA_COMMANDS.has(command) === lua ? total + n : total), 0);
  return `| ${[
    name,
    cell((run) => run.throughput, integer),
    ratio,
    cell((run) => run.loadP50, ms),
    cell((run) => run.loadP99, ms),
    cell((run) => run.singleP50, ms),
    cell((run) => run.singleP99, ms),
    cell((run) => sum(run, false), count),
    cell((run) => sum(run, false) + sum(run, true), count),
    byCommand(runs),
  ].join(' | ')} |`;
}

/** e.g. "evalsha 0.01, blmpop 0.01; in Lua: llen 0.01, rpush 0.01, pexpire 0.01" */
function byCommand(runs: RunResult[]): string {
  const commands = [...new Set(runs.flatMap((run) => [...run.perMessage.keys()]))].sort();
  const median = (command: string): string =>
    `${command} ${Number(spread(runs.map((run) => run.perMessage.get(command) ?? 0)).median.toPrecision(3))}`;
  const topLevel = commands.filter((command) => !LUA_COMMANDS.has(command)).map(median);
  const inLua = commands.filter((command) => LUA_COMMANDS.has(command)).map(median);
  return inLua.length === 0 ? topLevel.join(', ') : `${topLevel.join(', ')}; in Lua: ${inLua.join(', ')}`;
}

async function environment(admin: Redis): Promise<string> {
  const version = /^redis_version:(\S+)/m.exec(await admin.info('server'))?.[1] ?? 'unknown';
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? 0;
  return [
    '',
    `- date: ${new Date().toISOString()}`,
    `- Node ${process.version}, Redis ${version}`,
    `- CPU: ${model}, ${cores} cores`,
    // Others may be changing the layer while this runs: say which code was measured.
    `- switchyard: git ${execFileSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8' }).trim()}`,
  ].join('\n');
}

await main();
