import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';

/** The repository root (where `dist/bin/switchyard.js` lives), from this file's place. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = 'dist/bin/switchyard.js';
export const QUICKSTART = 'examples/quickstart/app.ts';

/** One pino JSON line a switchyard process wrote to stdout. */
export interface ProcessLogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A key prefix of the test's own, so suites sharing a Redis never see each other's keys. */
export function randomPrefix(name: string): string {
  return `e2e-${name}-${randomBytes(4).toString('hex')}`;
}

/**
 * The environment of a child: the test runner's, minus anything that would stand in for a
 * flag (PORT, HOST, REDIS_URL, SWITCHYARD_*), plus `extra`.
 */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (name === 'PORT' || name === 'HOST' || name === 'REDIS_URL' || name.startsWith('SWITCHYARD_')) continue;
    env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  return env;
}

const running = new Set<SwitchyardProcess>();

/** A `switchyard …` child process with its stdout parsed as pino JSON lines. */
export class SwitchyardProcess {
  readonly logs: ProcessLogLine[] = [];
  /** Everything it wrote, stdout and stderr, for failure messages. */
  output = '';
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly listeners = new Set<() => void>();
  private partial = '';

  constructor(
    readonly args: string[],
    env: NodeJS.ProcessEnv,
    readonly child: ChildProcess = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }),
  ) {
    running.add(this);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.output += chunk;
      this.partial += chunk;
      const lines = this.partial.split('\n');
      this.partial = lines.pop()!;
      for (const line of lines) {
        if (!line.trim().startsWith('{')) continue;
        try {
          this.logs.push(JSON.parse(line) as ProcessLogLine);
        } catch {
          // not a log line
        }
      }
      this.notify();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.output += chunk;
      this.notify();
    });
    this.exited = new Promise<Exit>((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        running.delete(this);
        resolve(this.exit);
        this.notify();
      });
      child.once('error', (error) => {
        this.output += `\n[spawn error] ${error.message}`;
        this.exit ??= { code: null, signal: null };
        running.delete(this);
        resolve(this.exit);
        this.notify();
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** Waits for a log line matching `test`, failing if the process exits first or time runs out. */
  waitForLog(test: (line: ProcessLogLine) => boolean, what: string, timeoutMs = 15_000): Promise<ProcessLogLine> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.logs.find(test);
        if (found !== undefined) {
          done();
          resolve(found);
          return true;
        }
        if (this.exit !== undefined) {
          done();
          reject(new Error(`switchyard ${this.args.join(' ')} exited (${JSON.stringify(this.exit)}) before logging ${what}:\n${this.output}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`switchyard ${this.args.join(' ')} did not log ${what} within ${timeoutMs} ms:\n${this.output}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = (): void => void check();
      if (!check()) this.listeners.add(listener);
    });
  }

  waitForMessage(msg: string | RegExp, timeoutMs?: number): Promise<ProcessLogLine> {
    const test = typeof msg === 'string' ? (line: ProcessLogLine) => line.msg === msg : (line: ProcessLogLine) => msg.test(line.msg);
    return this.waitForLog(test, JSON.stringify(String(msg)), timeoutMs);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.hasExited) this.child.kill(signal);
  }

  /** SIGTERM, then waits for the exit; SIGKILL if it takes longer than `graceMs`. */
  async stop(graceMs = 10_000): Promise<Exit> {
    this.signal('SIGTERM');
    const late = await Promise.race([this.exited.then(() => false), sleep(graceMs, true)]);
    if (late) this.signal('SIGKILL');
    return this.exited;
  }

  async kill(): Promise<Exit> {
    this.signal('SIGKILL');
    return this.exited;
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** SIGKILLs every switchyard process still running and waits for them to go (for afterEach / afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((proc) => proc.kill()));
}

export interface LayerEnv {
  redisUrl: string;
  prefix: string;
}

function redisEnv({ redisUrl, prefix }: LayerEnv): NodeJS.ProcessEnv {
  return childEnv({ REDIS_URL: redisUrl, SWITCHYARD_PREFIX: prefix });
}

export interface Listening {
  proc: SwitchyardProcess;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `ws://127.0.0.1:PORT` */
  wsUrl: string;
}

/** Waits for the "listening on" line of a server process and reads its address from it. */
export async function listening(proc: SwitchyardProcess): Promise<Listening> {
  const line = await proc.waitForMessage(/^listening on http:\/\//);
  const match = /^listening on (http:\/\/(.+):(\d+))$/.exec(line.msg);
  if (match === null) throw new Error(`cannot read the address from ${JSON.stringify(line.msg)}`);
  const port = Number(match[3]);
  return { proc, port, url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}` };
}

/** `switchyard serve APP --port 0 …flags` on Redis, once it listens. */
export async function startServe(app: string, layer: LayerEnv, flags: string[] = []): Promise<Listening> {
  return listening(new SwitchyardProcess(['serve', app, '--port', '0', ...flags], redisEnv(layer)));
}

/** `switchyard serve --port 0 …flags` with no app (any path, workers of any language), once it listens. */
export async function startServeAlone(layer: LayerEnv, flags: string[] = []): Promise<Listening> {
  return listening(new SwitchyardProcess(['serve', '--port', '0', ...flags], redisEnv(layer)));
}

/** `switchyard worker APP …flags` on Redis, once it logged "worker started". */
export async function startWorker(app: string, layer: LayerEnv, flags: string[] = []): Promise<SwitchyardProcess> {
  const proc = new SwitchyardProcess(['worker', app, ...flags], redisEnv(layer));
  await proc.waitForMessage('worker started');
  return proc;
}

/** `switchyard dev APP --port 0 …flags` (no Redis: no REDIS_URL in its environment), once it listens. */
export async function startDev(app: string, flags: string[] = []): Promise<Listening> {
  return listening(new SwitchyardProcess(['dev', app, '--port', '0', '--log-format', 'json', ...flags], childEnv()));
}

/** Runs `switchyard …args` to its end (killed after `timeoutMs`, which the result shows). */
export async function runSwitchyard(
  args: string[],
  env: Record<string, string | undefined> = {},
  timeoutMs = 15_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }> {
  const proc = new SwitchyardProcess(args, childEnv(env));
  const timedOut = await Promise.race([proc.exited.then(() => false), sleep(timeoutMs, true)]);
  if (timedOut) await proc.kill();
  const { code, signal } = await proc.exited;
  return { code, signal, stdout: proc.stdout, stderr: proc.stderr, timedOut };
}

/** The "handled" count of a worker's "worker stopped" line. */
export function handledCount(worker: SwitchyardProcess): number | undefined {
  const line = worker.logs.find((entry) => entry.msg === 'worker stopped');
  return typeof line?.handled === 'number' ? line.handled : undefined;
}

/**
 * Waits until `count` worker processes of the layer at `redisUrl` are blocked in a pop on the
 * shared channels, i.e. are really taking messages ("worker started" is logged before the
 * worker's Redis connection is up). Reads CLIENT LIST: the layer names its pop connections
 * `worker.<id>!pop…`.
 */
export async function waitForBlockedWorkers(redisUrl: string, count: number, timeoutMs = 15_000): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const deadline = Date.now() + timeoutMs;
    let seen = 0;
    while (Date.now() < deadline) {
      const list = (await redis.client('LIST')) as string;
      const inboxes = new Set<string>();
      for (const line of list.split('\n')) {
        const name = /\bname=(worker\.[^!\s]+!)\S*/.exec(line)?.[1];
        if (name !== undefined && /\bcmd=blmpop\b/.test(line)) inboxes.add(name);
      }
      seen = inboxes.size;
      if (seen >= count) return;
      await sleep(25);
    }
    throw new Error(`only ${seen} of ${count} workers took messages within ${timeoutMs} ms`);
  } finally {
    redis.disconnect();
  }
}
