/**
 * What the adapters cost: one trivial handler (GET → 200 'hello' text/plain) as a native
 * switchyard consumer, as an Express app through fromNode and as a Hono app through fromFetch,
 * each under `switchyard dev` and under `switchyard serve` + one `switchyard worker` on Redis;
 * beside them, in the same run, the Express app on node:http and a plain node:http server.
 * Prints one markdown table to stdout (progress goes to stderr).
 *
 *     npm run build && npm run bench:adapter [-- --quick]
 *
 * Load is wrk. All servers are started once and warmed; then every run measures every cell,
 * in an order rotated run by run, so the machine's noise hits all alike. Ratios are taken
 * within a run, then summarised: each cell is median (min–max) of runs.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { killAll, startDev, startServe, startWorker, waitForBlockedWorkers, type SwitchyardProcess } from '../test/helpers/processes.js';
import { RedisServer } from '../test/helpers/redis-server.js';
import { formatSpread, spread } from './stats.js';
import { runningWrk, wrk, type WrkResult } from './wrk.js';

const QUICK = process.argv.includes('--quick');
const SIZE = QUICK ? { runs: 1, seconds: 3, warmupSeconds: 1 } : { runs: 3, seconds: 10, warmupSeconds: 3 };
const LOAD = { connections: 50, threads: 2 };
const APP = 'bench/apps/hello.ts';
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE_SERVER = fileURLToPath(new URL('node-server.ts', import.meta.url));

type Server = 'node-plain' | 'node-express' | 'dev' | 'redis';
type Handler = 'plain' | 'native' | 'express' | 'hono';

interface Cell {
  server: Server;
  handler: Handler;
  path: string;
}

const CELLS: Cell[] = [
  { server: 'node-plain', handler: 'plain', path: '/hello' },
  { server: 'node-express', handler: 'express', path: '/express/hello' },
  ...(['dev', 'redis'] as const).flatMap((server) => [
    { server, handler: 'native' as const, path: '/native/hello' },
    { server, handler: 'express' as const, path: '/express/hello' },
    { server, handler: 'hono' as const, path: '/hono/hello' },
  ]),
];
const PLAIN = CELLS[0]!;
const NODE_EXPRESS = CELLS[1]!;

const SERVER_NAMES: Record<Server, string> = {
  'node-plain': 'node:http',
  'node-express': 'node:http',
  dev: 'switchyard dev',
  redis: 'switchyard serve + 1 worker, Redis',
};
const HANDLER_NAMES: Record<Handler, string> = {
  plain: 'plain handler',
  native: 'native consumer',
  express: 'Express',
  hono: 'Hono',
};

/** How the app reaches a switchyard worker. */
const ADAPTERS: Partial<Record<Handler, string>> = { express: 'fromNode', hono: 'fromFetch' };

function label({ server, handler }: Cell): string {
  const adapter = server === 'dev' || server === 'redis' ? ADAPTERS[handler] : undefined;
  return `${SERVER_NAMES[server]}: ${HANDLER_NAMES[handler]}${adapter === undefined ? '' : ` via ${adapter}`}`;
}

/** Everything started here, for stopAll. */
const started = { redis: undefined as RedisServer | undefined, switchyard: [] as SwitchyardProcess[], node: [] as ChildProcess[] };

async function main(): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`${signal}: stopping everything`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  try {
    const urls = await startServers();
    const url = (cell: Cell): string => `${urls[cell.server]}${cell.path}`;
    for (const cell of CELLS) await check(cell, url(cell));
    for (const cell of CELLS) {
      console.error(`warmup ${SIZE.warmupSeconds} s: ${label(cell)}`);
      await wrk(url(cell), { ...LOAD, seconds: SIZE.warmupSeconds });
    }
    const results = new Map<Cell, WrkResult[]>(CELLS.map((cell) => [cell, []]));
    for (let run = 1; run <= SIZE.runs; run++) {
      const order = CELLS.map((_, i) => CELLS[(i + run - 1) % CELLS.length]!);
      for (const [i, cell] of order.entries()) {
        const result = await wrk(url(cell), { ...LOAD, seconds: SIZE.seconds });
        results.get(cell)!.push(result);
        const failed = failures([result]);
        console.error(
          `run ${run}/${SIZE.runs} (${i + 1}/${CELLS.length}) ${label(cell)}: ${Math.round(result.requestsPerSecond).toLocaleString('en-US')} req/s` +
            (failed === '' ? '' : `, FAILURES: ${failed}`),
        );
      }
    }
    console.log(table(results));
    console.log(environment());
    const failed = CELLS.filter((cell) => failures(results.get(cell)!) !== '');
    if (failed.length > 0) {
      console.error(`failures (non-2xx responses or socket errors) in: ${failed.map(label).join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    await stopAll();
  }
}

async function startServers(): Promise<Record<Server, string>> {
  console.error('starting redis-server, switchyard dev, serve + worker, node:http servers');
  const redis = (started.redis = await RedisServer.start());
  const layer = { redisUrl: redis.url, prefix: 'bench-adapter' };
  const [plain, express, dev, serve] = await Promise.all([
    startNodeServer('plain'),
    startNodeServer('express'),
    startDev(APP).then((listening) => (started.switchyard.push(listening.proc), listening)),
    startServe(APP, layer).then((listening) => (started.switchyard.push(listening.proc), listening)),
    startWorker(APP, layer).then((worker) => void started.switchyard.push(worker)),
  ]);
  await waitForBlockedWorkers(redis.url, 1);
  return { 'node-plain': plain, 'node-express': express, dev: dev.url, redis: serve.url };
}

/** `node --import tsx bench/node-server.ts KIND`; resolves to its URL once it listens. */
async function startNodeServer(kind: 'plain' | 'express'): Promise<string> {
  const child = spawn(process.execPath, ['--import', 'tsx', NODE_SERVER, kind], { cwd: ROOT, stdio: ['ignore', 'pipe', 2] });
  started.node.push(child);
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`node-server ${kind} exited (${code})`))));
  const listening = (async () => {
    for await (const line of lines) {
      const match = /^listening on (http:\/\/\S+)$/.exec(line);
      if (match !== null) return match[1]!;
    }
    throw new Error(`node-server ${kind} ended its output before listening`);
  })();
  return Promise.race([listening, exited]);
}

/** Every cell answers what it should before anything is measured. */
async function check(cell: Cell, url: string): Promise<void> {
  const response = await fetch(url);
  const body = await response.text();
  const type = response.headers.get('content-type') ?? '';
  if (response.status !== 200 || body !== 'hello' || !type.startsWith('text/plain')) {
    throw new Error(`${label(cell)}: GET ${url} answered ${response.status} ${JSON.stringify(type)} ${JSON.stringify(body.slice(0, 200))}`);
  }
}

async function stopAll(): Promise<void> {
  for (const child of runningWrk) child.kill('SIGKILL');
  for (const child of started.node) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.all(started.switchyard.map((proc) => proc.stop(5_000)));
  await killAll();
  await started.redis?.stop();
}

/** "" when all went well, else e.g. "non-2xx 12, timeout 3" summed over `runs`. */
function failures(runs: WrkResult[]): string {
  const sum = (pick: (run: WrkResult) => number): number => runs.reduce((total, run) => total + pick(run), 0);
  const counts: [string, number][] = [
    ['non-2xx', sum((run) => run.non2xx)],
    ...(['connect', 'read', 'write', 'timeout'] as const).map((kind): [string, number] => [kind, sum((run) => run.socketErrors[kind])]),
  ];
  return counts
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
}

function table(results: Map<Cell, WrkResult[]>): string {
  const runsOf = (cell: Cell): WrkResult[] => results.get(cell)!;
  const ratio = (cell: Cell, base: Cell | undefined): string => {
    if (base === undefined) return '—';
    const baseRuns = runsOf(base);
    const ratios = runsOf(cell).map((run, i) => run.requestsPerSecond / baseRuns[i]!.requestsPerSecond);
    return formatSpread(spread(ratios), (n) => n.toFixed(2));
  };
  const cell = (runs: WrkResult[], pick: (run: WrkResult) => number, format: (n: number) => string): string =>
    formatSpread(spread(runs.map(pick)), format);
  const integer = (n: number): string => Math.round(n).toLocaleString('en-US');
  const ms = (n: number): string => n.toFixed(2);
  const rows = CELLS.map((c) => {
    const native = CELLS.find((other) => other.server === c.server && other.handler === 'native');
    const runs = runsOf(c);
    return `| ${[
      label(c),
      cell(runs, (run) => run.requestsPerSecond, integer),
      ratio(c, native),
      ratio(c, PLAIN),
      ratio(c, NODE_EXPRESS),
      cell(runs, (run) => run.p50, ms),
      cell(runs, (run) => run.p99, ms),
      failures(runs) || 'none',
    ].join(' | ')} |`;
  });
  const caption =
    `**Adapters vs a native consumer vs node:http**: GET → 200 'hello' text/plain, loaded by wrk ` +
    `(${LOAD.connections} connections, ${LOAD.threads} threads, ${SIZE.seconds} s per run, after a ` +
    `${SIZE.warmupSeconds} s warmup per cell) on the same machine as the servers. ${SIZE.runs} run(s) per cell, ` +
    `every cell once per run, order rotated run by run; cells are median (min–max). Ratios are of req/s, ` +
    `taken within each run: "÷ native" against the native consumer under the same switchyard command, ` +
    `the others against the two node:http baselines. Latency is wrk's (--latency) over the measured run. ` +
    `Failures: wrk's non-2xx responses and socket errors, summed over runs.`;
  return [
    caption,
    '',
    '| server: handler | req/s | ÷ native, same server | ÷ node:http plain | ÷ Express on node:http | p50 (ms) | p99 (ms) | failures |',
    '|---|--:|--:|--:|--:|--:|--:|---|',
    ...rows,
  ].join('\n');
}

function environment(): string {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? 0;
  const version = (pkg: string): string =>
    (JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  const redis = /v=(\S+)/.exec(execFileSync('redis-server', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  const wrkVersion = /^wrk (\S+)/.exec(spawnText('wrk', ['-v']))?.[1] ?? 'unknown';
  return [
    '',
    `- date: ${new Date().toISOString()}`,
    `- Node ${process.version}, Redis ${redis}, wrk ${wrkVersion}, Express ${version('express')}, Hono ${version('hono')}`,
    `- CPU: ${model}, ${cores} cores`,
    // Others may be changing the code while this runs: say which code was measured.
    `- switchyard: git ${execFileSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8' }).trim()}`,
  ].join('\n');
}

/** `wrk -v` prints its version and exits 1: read its output whatever the status. */
function spawnText(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    return `${stdout ?? ''}${stderr ?? ''}`;
  }
}

await main();
