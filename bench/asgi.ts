/**
 * `npm run bench:asgi`: a Starlette hello app (bench/apps/starlette_hello.py) under switchyard
 * (`switchyard serve` + one Python worker, workers/python, on a redis-server of its own) beside
 * the same app under uvicorn and under Daphne, all from Debian's packages (python3-starlette,
 * uvicorn, daphne; python3-redis and python3-msgpack for the worker). Each round starts every
 * target fresh, in an order that rotates, warms it up for 2 s, then runs wrk -t2 -c50 for
 * SECONDS on `GET /hello`. Prints medians (min–max) over the rounds and ratios to uvicorn, round
 * by round. Usage: npm run bench:asgi [-- --rounds N --seconds S]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { childEnv, randomPrefix, SwitchyardProcess } from '../test/helpers/processes.js';
import { PYTHON, startPythonWorker } from '../test/helpers/python-worker.js';
import { RedisServer } from '../test/helpers/redis-server.js';
import { formatSpread, spread } from './stats.js';
import { stopChild } from './suite/children.js';
import { wrk, type LoadResult } from './suite/tools.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const ROUNDS = option('rounds', 3);
const SECONDS = option('seconds', 5);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = 'starlette_hello:app';
const PYTHONPATH = ['bench/apps', 'workers/python'].join(':');

interface Running {
  url: string;
  stop(): Promise<void>;
}

interface Target {
  label: string;
  start(port: number): Promise<Running>;
}

/** A Python server process on `port`, once `/hello` answers. */
async function pythonServer(command: string, args: string[], port: number): Promise<Running> {
  const child: ChildProcess = spawn(command, args, { cwd: ROOT, env: { ...process.env, PYTHONPATH }, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const url = `http://127.0.0.1:${port}`;
  await untilHello(url, () => (child.exitCode !== null ? `${command} exited: ${output}` : undefined));
  return { url, stop: () => stopChild(child, 3_000) };
}

async function untilHello(url: string, failed: () => string | undefined): Promise<void> {
  for (let tries = 0; ; tries++) {
    const problem = failed();
    if (problem !== undefined) throw new Error(problem);
    if ((await fetch(`${url}/hello`).then((r) => r.status, () => 0)) === 200) return;
    if (tries > 300) throw new Error(`${url}/hello never answered 200`);
    await sleep(50);
  }
}

const TARGETS: Target[] = [
  {
    label: 'uvicorn (Debian)',
    start: (port) => pythonServer(PYTHON, ['-m', 'uvicorn', APP, '--port', String(port), '--log-level', 'warning', '--no-access-log'], port),
  },
  {
    label: 'Daphne (Debian)',
    start: (port) => pythonServer('daphne', ['-p', String(port), '-v', '0', APP], port),
  },
  {
    label: 'switchyard serve + 1 Python worker',
    async start(port) {
      const redis = await RedisServer.start();
      const layer = { redisUrl: redis.url, prefix: randomPrefix('asgi') };
      // No access log, as uvicorn runs with none (and Daphne at -v 0).
      const server = new SwitchyardProcess(['serve', '--port', String(port), '--log-level', 'warn'], childEnv({ REDIS_URL: layer.redisUrl, SWITCHYARD_PREFIX: layer.prefix }));
      const worker = await startPythonWorker(APP, layer, [], ['bench/apps']);
      const url = `http://127.0.0.1:${port}`;
      await untilHello(url, () => (server.hasExited ? `switchyard serve exited: ${server.output}` : undefined));
      return {
        url,
        async stop() {
          await worker.stop();
          await server.kill();
          await redis.stop();
        },
      };
    },
  },
];

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function main(): Promise<void> {
  const results = new Map<Target, LoadResult[]>(TARGETS.map((target) => [target, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...TARGETS.slice(round % TARGETS.length), ...TARGETS.slice(0, round % TARGETS.length)];
    for (const target of order) {
      const running = await target.start(await freePort());
      try {
        await wrk(`${running.url}/hello`, { connections: 50, threads: 2, seconds: 2 });
        const load = await wrk(`${running.url}/hello`, { connections: 50, threads: 2, seconds: SECONDS });
        if (load.problems.length > 0) console.error(`  ${target.label}: ${load.problems.join('; ')}`);
        console.error(`[round ${round + 1}/${ROUNDS}] ${target.label}: ${load.requestsPerSecond.toFixed(0)} req/s, p50 ${load.p50.toFixed(2)} ms`);
        results.get(target)!.push(load);
      } finally {
        await running.stop();
      }
    }
  }
  const base = results.get(TARGETS[0]!)!;
  console.log(`\nStarlette GET /hello, wrk -t2 -c50 ${SECONDS} s after 2 s of warm-up, ${ROUNDS} rounds (order rotating); median (min–max); ratio to uvicorn round by round\n`);
  console.log('| server | requests/s | ÷ uvicorn | p50 (ms) | non-2xx or socket errors |');
  console.log('| --- | --: | --: | --: | --- |');
  for (const target of TARGETS) {
    const loads = results.get(target)!;
    const ratios = loads.map((load, i) => load.requestsPerSecond / base[i]!.requestsPerSecond);
    const problems = loads.flatMap((load) => load.problems);
    console.log(
      `| ${target.label} | ${formatSpread(spread(loads.map((l) => l.requestsPerSecond)), (n) => n.toFixed(0))} | ${formatSpread(spread(ratios), (n) => n.toFixed(2))} | ` +
        `${formatSpread(spread(loads.map((l) => l.p50)), (n) => n.toFixed(2))} | ${problems.length === 0 ? 'none' : problems.join('; ')} |`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
