/**
 * What each scenario runs against, started fresh for every scenario and run:
 *
 * - `plain`: plain-server.ts (node:http + ws, or node:http2 h2c), no hop
 * - `serve`: `switchyard serve` + one `switchyard worker` on the suite's redis-server
 * - `dev`: `switchyard dev` (server and worker in one process, in-memory layer)
 * - `serve-quiet`, `dev-quiet`: the same with `--log-level warn` (no access log), run only by
 *   the scenarios that list them (Scenario.kinds). `serve` and `dev` run the shipped defaults:
 *   an info-level JSON access-log line per request on stdout, metrics on.
 *
 * The switchyard processes' stdout goes to a file (log-file.ts: the access log of a loaded
 * server is a line per request), read only for the warnings and the count of the other lines.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { waitForBlockedWorkers } from '../../test/helpers/processes.js';
import { forkTracked, stopChild, withTimeout } from './children.js';
import { PLAIN_SERVER, ROOT } from './config.js';
import type { Pids } from './procstat.js';
import { startDev, startServe, startWorker } from './start.js';
import type { SwitchyardChild } from './switchyard-child.js';

export const KINDS = ['plain', 'serve', 'dev', 'serve-quiet', 'dev-quiet'] as const;
export type Kind = (typeof KINDS)[number];

/** What a scenario runs unless it lists its own kinds. */
export const DEFAULT_KINDS: readonly Kind[] = ['plain', 'serve', 'dev'];

export const KIND_LABEL: Record<Kind, string> = {
  plain: 'plain Node',
  serve: 'switchyard serve+worker',
  dev: 'switchyard dev',
  'serve-quiet': 'switchyard serve+worker --log-level warn',
  'dev-quiet': 'switchyard dev --log-level warn',
};

/** A column of the table: a quiet target's figures go in its shipped twin's, on rows of their own. */
export type Column = 'plain' | 'serve' | 'dev';

export const isQuiet = (kind: Kind): boolean => kind === 'serve-quiet' || kind === 'dev-quiet';

/** The flags of a target's switchyard processes beyond what start.ts gives every one. */
const FLAGS: Record<Exclude<Kind, 'plain'>, string[]> = { serve: [], dev: [], 'serve-quiet': ['--log-level', 'warn'], 'dev-quiet': ['--log-level', 'warn'] };

export interface Redis {
  url: string;
  pid: number;
}

export interface Target {
  kind: Kind;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `ws://127.0.0.1:PORT` */
  wsUrl: string;
  /** The process holding the sockets (plain server, `serve`, `dev`). */
  serverPid: number;
  /** Processes whose CPU use is worth reporting, by name. */
  pids: Pids;
  /** The layer's key prefix (serve+worker targets only). */
  prefix: string | undefined;
  /** Warnings and errors the switchyard processes logged, and unexpected exits: "serve: 3× msg". */
  problems(): string[];
  /** Log lines below warnings each switchyard process wrote so far (counted, not kept), by name; none for plain. */
  logLines(): Record<string, number>;
  stop(): Promise<void>;
}

let started = 0;

export async function startTarget(kind: Kind, plainMode: 'http' | 'h2c', redis: Redis): Promise<Target> {
  if (kind === 'plain') return startPlain(plainMode, redis);
  const flags = FLAGS[kind];
  if (kind === 'dev' || kind === 'dev-quiet') {
    const dev = await startDev(flags);
    return switchyardTarget(kind, dev.port, { dev: dev.proc }, redis, undefined);
  }
  const prefix = `bench-suite-${process.pid}-${++started}`;
  const layer = { redisUrl: redis.url, prefix };
  // Both start at once; whichever fails, both are stopped (a failed server stops itself).
  const worker = startWorker(layer, flags);
  let serve: Awaited<ReturnType<typeof startServe>> | undefined;
  try {
    serve = await startServe(layer, flags);
    await waitForBlockedWorkers(redis.url, 1);
  } catch (error) {
    await Promise.all([worker.stop(1_000), serve?.proc.stop(1_000)]);
    throw new Error(`${(error as Error).message}\n${worker.output()}`);
  }
  return switchyardTarget(kind, serve.port, { serve: serve.proc, worker }, redis, prefix);
}

function switchyardTarget(kind: Kind, port: number, procs: Record<string, SwitchyardChild>, redis: Redis, prefix: string | undefined): Target {
  const server = procs.serve ?? procs.dev!;
  const pids: Pids = { redis: procs.worker !== undefined ? redis.pid : undefined };
  for (const [name, proc] of Object.entries(procs)) pids[name] = proc.pid;
  let stopping = false;
  return {
    kind,
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    serverPid: server.pid,
    pids,
    prefix,
    problems: () =>
      Object.entries(procs).flatMap(([name, proc]) => {
        const counts = new Map<string, number>();
        for (const line of proc.warnings()) counts.set(line.msg, (counts.get(line.msg) ?? 0) + 1);
        const found = [...counts].map(([msg, n]) => `${name}: ${n}× ${JSON.stringify(msg)}`);
        if (proc.hasExited && !stopping) found.push(`${name}: exited during the scenario`);
        const stderr = proc.stderr.replace(/\(node:\d+\) /g, '').trim();
        if (stderr !== '') found.push(`${name} stderr: ${stderr.slice(0, 300)}`);
        return found;
      }),
    logLines: () => Object.fromEntries(Object.entries(procs).map(([name, proc]) => [name, proc.belowWarn()])),
    async stop() {
      stopping = true;
      await Promise.all(Object.values(procs).map((proc) => proc.stop(3_000)));
    },
  };
}

async function startPlain(mode: 'http' | 'h2c', redis: Redis): Promise<Target> {
  void redis;
  const child = forkTracked(PLAIN_SERVER, [mode], { cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let port: number;
  try {
    port = await withTimeout(listeningPort(child, child.stdout!), 15_000, `plain ${mode} server`);
  } catch (error) {
    await stopChild(child);
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  let stopping = false;
  return {
    kind: 'plain',
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    serverPid: child.pid!,
    pids: { node: child.pid },
    prefix: undefined,
    problems: () => [
      ...(child.exitCode !== null || child.signalCode !== null ? (stopping ? [] : ['plain server: exited during the scenario']) : []),
      ...(stderr.trim() === '' ? [] : [`plain server stderr: ${stderr.replace(/\(node:\d+\) /g, '').trim().slice(0, 300)}`]),
    ],
    logLines: () => ({}),
    async stop() {
      stopping = true;
      await stopChild(child);
    },
  };
}

function listeningPort(child: ChildProcess, stdout: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
      if (port !== undefined) resolve(Number(port));
    });
    child.once('exit', (code) => reject(new Error(`plain server exited (${code}) before listening:\n${out}`)));
  });
}
