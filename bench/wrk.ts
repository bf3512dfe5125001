/** Runs wrk and reads its report (with --latency). */
import { spawn, type ChildProcess } from 'node:child_process';

export interface WrkOptions {
  connections: number;
  threads: number;
  seconds: number;
}

export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  /** ms */
  p50: number;
  /** ms */
  p99: number;
  /** Responses with a status of 400 or more (wrk's "Non-2xx or 3xx responses"). */
  non2xx: number;
  /** wrk's socket errors: connect, read, write, timeout. */
  socketErrors: Record<'connect' | 'read' | 'write' | 'timeout', number>;
}

/** The wrk processes still running, for the caller's SIGINT handler. */
export const runningWrk = new Set<ChildProcess>();

export async function wrk(url: string, { connections, threads, seconds }: WrkOptions): Promise<WrkResult> {
  const args = ['-c', String(connections), '-t', String(threads), '-d', `${seconds}s`, '--latency', url];
  const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  runningWrk.add(child);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => runningWrk.delete(child));
  if (code !== 0) throw new Error(`wrk ${args.join(' ')} exited with ${code}:\n${out}`);
  return parse(out);
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export function parse(report: string): WrkResult {
  const find = (pattern: RegExp): RegExpExecArray => {
    const match = pattern.exec(report);
    if (match === null) throw new Error(`no ${pattern} in wrk's report:\n${report}`);
    return match;
  };
  const percentile = (p: number): number => {
    const [, value, unit] = find(new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm'));
    return Number(value) * UNIT_MS[unit!]!;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(report);
  return {
    requests: Number(find(/(\d+) requests in /)[1]),
    requestsPerSecond: Number(find(/Requests\/sec:\s+([\d.]+)/)[1]),
    p50: percentile(50),
    p99: percentile(99),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(report)?.[1] ?? 0),
    socketErrors: {
      connect: Number(socket?.[1] ?? 0),
      read: Number(socket?.[2] ?? 0),
      write: Number(socket?.[3] ?? 0),
      timeout: Number(socket?.[4] ?? 0),
    },
  };
}
