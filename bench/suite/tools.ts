/** wrk (HTTP/1.1) and h2load (h2c) as child processes, and what their reports say. */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forkTracked, spawnTracked } from './children.js';
import { percentile } from '../stats.js';

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  /** ms */
  p50: number;
  /** ms */
  p99: number;
  /**
   * wrk's "Socket errors" (connect + read + write + timeout). The other tools fail on any socket
   * error (h2load's errored requests, the Node client's rejections), so there it is 0.
   */
  socketErrors: number;
  /** Anything the tool reported that was not a clean 2xx, e.g. "wrk socket errors: read 3". */
  problems: string[];
}

export interface LoadOptions {
  connections: number;
  threads: number;
  seconds: number;
  /** Told the process id once the tool runs (for CPU sampling). */
  onSpawn?: (pid: number | undefined) => void;
}

async function run(command: string, args: string[], onSpawn?: (pid: number | undefined) => void): Promise<string> {
  const child = spawnTracked(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  onSpawn?.(child.pid);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${code}:\n${out}`);
  return out;
}

/** The lines of a tool's report that say what happened, without its progress chatter. */
function summary(report: string): string {
  return report
    .split('\n')
    .filter((line) => /requests|status codes|finished in|Non-2xx|Socket errors|error|Latency/i.test(line))
    .map((line) => line.trim())
    .join(' | ');
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * wrk --latency; throws if any response was not 2xx/3xx (wrk counts those, it does not fail).
 * p50/p99 come from its "Latency Distribution" lines, read as printed: wrk records whole µs and
 * prints two decimals of the unit it picks ("68.00us", "1.23ms": ms from 0.85 ms), i.e. to the
 * µs below 0.85 ms and to 10 µs above; the "Latency" line's avg/stdev/max are not used.
 */
export async function wrk(url: string, { connections, threads, seconds, onSpawn }: LoadOptions): Promise<LoadResult> {
  const report = await run('wrk', ['-c', String(connections), '-t', String(threads), '-d', `${seconds}s`, '--latency', url], onSpawn);
  const find = (pattern: RegExp): RegExpExecArray => {
    const match = pattern.exec(report);
    if (match === null) throw new Error(`no ${pattern} in wrk's report:\n${report}`);
    return match;
  };
  const latency = (p: number): number => {
    const [, value, unit] = find(new RegExp(`^\\s*${p}(?:\\.0+)?%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm'));
    return Number(value) * UNIT_MS[unit!]!;
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(report)?.[1] ?? 0);
  const requests = Number(find(/(\d+) requests in /)[1]);
  if (non2xx > 0) throw new Error(`wrk ${url}: ${non2xx} of ${requests} responses were not 2xx/3xx: ${summary(report)}`);
  if (requests === 0) throw new Error(`wrk ${url}: no request completed: ${summary(report)}`);
  const problems: string[] = [];
  // "Socket errors: connect 0, read 3, write 0, timeout 0", printed only when one is not 0.
  const socket = /Socket errors: (.+)$/m.exec(report)?.[1];
  if (socket !== undefined) problems.push(`wrk socket errors: ${socket.trim()}`);
  const socketErrors = [...(socket ?? '').matchAll(/\d+/g)].reduce((sum, [n]) => sum + Number(n), 0);
  return { requests, requestsPerSecond: Number(find(/Requests\/sec:\s+([\d.]+)/)[1]), p50: latency(50), p99: latency(99), socketErrors, problems };
}

/**
 * h2load over h2c (prior knowledge), one request in flight per connection. h2load prints
 * min/mean/max/sd of request times but no percentiles, so p50 and p99 come from its per-request
 * log (--log-file: start, status, µs to the end of the response) over the measured period.
 * Throws unless every request succeeded with a 2xx.
 */
export async function h2load(url: string, { connections, threads, seconds, onSpawn }: LoadOptions, warmupS: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-h2load-'));
  const log = join(dir, 'requests.tsv');
  try {
    const args = ['-c', String(connections), '-t', String(threads), '-m', '1', '-D', String(seconds), '--warm-up-time', String(warmupS), '--log-file', log, url];
    const report = await run('h2load', args, onSpawn);
    const find = (pattern: RegExp): RegExpExecArray => {
      const match = pattern.exec(report);
      if (match === null) throw new Error(`no ${pattern} in h2load's report:\n${report}`);
      return match;
    };
    const [, done, succeeded, failed, errored, timeout] = find(/requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/).map(Number);
    const [, s2, s3, s4, s5] = find(/status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/).map(Number);
    // "status codes" counts responses whose headers came in the warm-up, "done" requests that
    // ended after it (those are logged with status 0): the two differ by a few either way.
    void s2;
    if (failed! + errored! + timeout! + s3! + s4! + s5! > 0 || succeeded !== done || done === 0) {
      throw new Error(`h2load ${url}: not every request was a 2xx: ${summary(report)}`);
    }
    const rows = readFileSync(log, 'utf8').trim().split('\n').map((line) => line.split('\t').map(Number));
    // Status -1: a failed stream; 0: headers came during the warm-up (see above).
    const bad = rows.filter((row) => row[1] !== 0 && (row[1]! < 200 || row[1]! > 299));
    if (bad.length > 0) throw new Error(`h2load ${url}: ${bad.length} logged requests were not 2xx (e.g. status ${bad[0]![1]})`);
    const times = Float64Array.from(rows, (row) => row[2]! / 1000).sort();
    return {
      requests: done!,
      requestsPerSecond: Number(find(/finished in [\d.]+m?s, ([\d.]+) req\/s/)[1]),
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      socketErrors: 0,
      problems: rows.length < done! * 0.9 ? [`h2load logged ${rows.length} of ${done} requests`] : [],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const installed = new Map<string, boolean>();

/** Whether a command is on the PATH (asked once). SWITCHYARD_BENCH_NODE_CLIENT=1 says no, to use the Node client. */
export function has(command: string): boolean {
  if (process.env.SWITCHYARD_BENCH_NODE_CLIENT === '1') return false;
  let found = installed.get(command);
  if (found === undefined) installed.set(command, (found = spawnSync('sh', ['-c', `command -v ${command}`]).status === 0));
  return found;
}

/** The HTTP/1.1 load tool of this machine: wrk where installed, else the Node client. */
export function httpLoad(url: string, options: LoadOptions): Promise<LoadResult> {
  return has('wrk') ? wrk(url, options) : nodeLoad('http1', url, options, 0);
}

/** The h2c load tool of this machine: h2load where installed, else the Node client. */
export function h2Load(url: string, options: LoadOptions, warmupS: number): Promise<LoadResult> {
  return has('h2load') ? h2load(url, options, warmupS) : nodeLoad('h2c', url, options, warmupS);
}

/** node-load.ts in its own process; throws if any response was not 2xx. */
async function nodeLoad(mode: 'http1' | 'h2c', url: string, { connections, seconds, onSpawn }: LoadOptions, warmupS: number): Promise<LoadResult> {
  const module = new URL('./node-load.ts', import.meta.url).pathname;
  const child = forkTracked(module, [mode, url, String(connections), String(seconds), String(warmupS)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  onSpawn?.(child.pid);
  const [result] = (await once(child, 'message')) as [LoadResult & { non2xx: number }];
  if (result.non2xx > 0) throw new Error(`node load ${url}: ${result.non2xx} of ${result.requests} responses were not 2xx`);
  if (result.requests === 0) throw new Error(`node load ${url}: no request completed`);
  return { requests: result.requests, requestsPerSecond: result.requestsPerSecond, p50: result.p50, p99: result.p99, socketErrors: 0, problems: [] };
}
