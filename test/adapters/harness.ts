/**
 * The targets of the differential tests and a client that captures responses byte for byte.
 *
 * Targets: each framework app served directly by node:http (Hono through @hono/node-server),
 * and the switchyard app (apps/switchyard-app.ts, which mounts the same app objects) in two
 * topologies: `switchyard dev` (one process, in-memory layer) and `switchyard serve` + one
 * `switchyard worker` on a real redis-server of the suite's own.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnv, randomPrefix, SwitchyardProcess, waitForBlockedWorkers } from '../helpers/processes.js';
import { RedisServer } from '../helpers/redis-server.js';
import { getRequestListener } from '@hono/node-server';

export const FRAMEWORKS = ['express5', 'express4', 'koa', 'hono'] as const;
export type Framework = (typeof FRAMEWORKS)[number];
export const TOPOLOGIES = ['dev', 'redis'] as const;
export type Topology = (typeof TOPOLOGIES)[number];
export type Target = 'direct' | Topology;

/** The switchyard app file, relative to the repository root (the children's working directory). */
export const APP_FILE = 'test/adapters/apps/switchyard-app.ts';
/** Every request carries this Host, so URLs the apps echo are the same on every target. */
export const HOST = 'adapter.test';
/** The route name fromNode's failures are logged under for the plain handler. */
export const PLAIN_ROUTE = 'ANY /plain/*';

export interface Targets {
  /** `http://127.0.0.1:PORT` of `target` for `framework`'s app. */
  base(target: Target, framework: Framework): string;
  /** `http://127.0.0.1:PORT` of a topology (any mounted prefix). */
  switchyard(topology: Topology): string;
  /** The process that runs the consumers (and logs their failures) in a topology. */
  consumers(topology: Topology): SwitchyardProcess;
  staticDir: string;
  close(): Promise<void>;
}

async function listen(server: http.Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function listeningUrl(proc: SwitchyardProcess): Promise<string> {
  const line = await proc.waitForMessage(/^listening on http:\/\//);
  const port = /:(\d+)$/.exec(line.msg)?.[1];
  if (port === undefined) throw new Error(`cannot read the port from ${JSON.stringify(line.msg)}`);
  return `http://127.0.0.1:${port}`;
}

/** The static folder express.static serves: a small text file, a larger one and a sub-folder. */
async function makeStaticDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'switchyard-adapters-'));
  const { generatedBody } = await import('./apps/state.js');
  await writeFile(join(dir, 'hello.txt'), 'hello from a static file\n');
  await writeFile(join(dir, 'data.bin'), generatedBody(200_000));
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'sub', 'index.html'), '<!doctype html><p>sub index</p>\n');
  // A fixed mtime (whole seconds): Last-Modified and ETag are then the same whoever stats the files.
  const when = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));
  for (const file of ['hello.txt', 'data.bin', 'sub/index.html']) await utimes(join(dir, file), when, when);
  return dir;
}

/** Starts everything a differential test file needs; `close()` stops all of it. */
export async function startTargets(): Promise<Targets> {
  const staticDir = await makeStaticDir();
  // Read by the Express apps when their module loads: here (imported below) and in the children.
  process.env.ADAPTER_STATIC_DIR = staticDir;
  const [{ default: express5 }, { default: express4 }, { default: koa }, { default: hono }] = await Promise.all([
    import('./apps/express5.js'),
    import('./apps/express4.js'),
    import('./apps/koa.js'),
    import('./apps/hono.js'),
  ]);

  const servers = {
    express5: http.createServer(express5),
    express4: http.createServer(express4),
    koa: http.createServer(koa.callback()),
    hono: http.createServer(getRequestListener(hono.fetch)),
  };
  const procs: SwitchyardProcess[] = [];
  let redis: RedisServer | undefined;

  const close = async (): Promise<void> => {
    await Promise.all(procs.map((proc) => proc.kill()));
    for (const server of Object.values(servers)) {
      server.closeAllConnections();
      server.close();
    }
    await redis?.stop();
    await rm(staticDir, { recursive: true, force: true });
  };

  try {
    const direct = {} as Record<Framework, string>;
    for (const framework of FRAMEWORKS) direct[framework] = await listen(servers[framework]);

    redis = await RedisServer.start();
    const layerEnv = childEnv({ REDIS_URL: redis.url, SWITCHYARD_PREFIX: randomPrefix('adapters'), ADAPTER_STATIC_DIR: staticDir });
    const dev = new SwitchyardProcess(['dev', APP_FILE, '--port', '0', '--log-format', 'json'], childEnv({ ADAPTER_STATIC_DIR: staticDir }));
    const serve = new SwitchyardProcess(['serve', APP_FILE, '--port', '0'], layerEnv);
    const worker = new SwitchyardProcess(['worker', APP_FILE], layerEnv);
    procs.push(dev, serve, worker);
    const [devUrl, serveUrl] = await Promise.all([
      listeningUrl(dev),
      listeningUrl(serve),
      worker.waitForMessage('worker started').then(() => waitForBlockedWorkers(redis!.url, 1)),
    ]);
    const topology = { dev: devUrl, redis: serveUrl };
    return {
      base: (target, framework) => (target === 'direct' ? direct[framework] : topology[target]),
      switchyard: (which) => topology[which],
      consumers: (which) => (which === 'dev' ? dev : worker),
      staticDir,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// The client

export interface Outgoing {
  method?: string;
  /** Absolute path with query, sent as is. */
  path: string;
  /** Extra headers (repeated names as arrays); Host is HOST unless given. */
  headers?: Record<string, string | string[]>;
  /** A body sent with its Content-Length… */
  body?: Buffer | string;
  /** …or chunks sent without one (Transfer-Encoding: chunked). */
  chunks?: Buffer[];
  /** The whole exchange must be over within this (a bounded wait, never an assertion). */
  timeoutMs?: number;
}

export interface Interim {
  status: number;
  headers: [string, string][];
}

export interface Incoming {
  status: number;
  /** `[lower-case name, value]` in the order they came, duplicates kept. */
  headers: [string, string][];
  body: Buffer;
  /** 1xx responses before the final one (103 Early Hints). */
  interim: Interim[];
}

const agent = new http.Agent({ keepAlive: true });

function pairs(raw: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

/**
 * Sends one request with node:http (redirects are never followed) and reads the whole answer.
 * A kept-alive socket the server closed as idle just as the request went out on it (Node's
 * documented keep-alive race: ECONNRESET on a reused socket) is retried once on a new one, as
 * Node's documentation advises; the apps' routes are idempotent.
 */
export async function send(base: string, out: Outgoing): Promise<Incoming> {
  try {
    return await sendOnce(base, out);
  } catch (error) {
    if ((error as { reusedSocket?: boolean }).reusedSocket !== true || out.chunks !== undefined) throw error;
    return sendOnce(base, out);
  }
}

function sendOnce(base: string, out: Outgoing): Promise<Incoming> {
  const method = out.method ?? 'GET';
  const timeoutMs = out.timeoutMs ?? 10_000;
  const url = new URL(base);
  return new Promise<Incoming>((resolve, reject) => {
    const interim: Interim[] = [];
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method,
      path: out.path,
      headers: {
        host: HOST,
        // Node frames a body given to end() by itself only for some methods (not GET): say its length.
        ...(out.body !== undefined ? { 'content-length': String(Buffer.byteLength(out.body)) } : {}),
        // …and chunks it by itself only for some methods (not GET, DELETE, OPTIONS): ask for it.
        ...(out.chunks !== undefined ? { 'transfer-encoding': 'chunked' } : {}),
        ...out.headers,
      },
      agent,
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`no complete answer to ${method} ${out.path} from ${base} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    // Name the target: a comparison sends the same request to several, and a failure must say which.
    let responded = false;
    req.on('error', (error) => {
      // A parse error names the bytes the client could not read: what the server sent wrong.
      const raw = (error as { rawPacket?: Buffer }).rawPacket;
      const bytes = raw === undefined ? '' : ` (the bytes received: ${JSON.stringify(raw.toString('latin1'))})`;
      const named = new Error(`${method} ${out.path} from ${base}: ${error.message}${bytes}`, { cause: error });
      const raced = (error as NodeJS.ErrnoException).code === 'ECONNRESET' && req.reusedSocket && !responded;
      fail(Object.assign(named, { reusedSocket: raced }));
    });
    req.on('information', (info) => interim.push({ status: info.statusCode, headers: pairs(info.rawHeaders) }));
    req.on('response', (res) => {
      responded = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', fail);
      res.on('aborted', () => fail(new Error(`the response to ${method} ${out.path} from ${base} was cut off`)));
      res.on('end', () => {
        clearTimeout(timer);
        if (!res.complete) return reject(new Error(`the response to ${method} ${out.path} from ${base} was cut off`));
        resolve({ status: res.statusCode ?? 0, headers: pairs(res.rawHeaders), body: Buffer.concat(chunks), interim });
      });
    });
    if (out.chunks !== undefined) {
      void (async () => {
        for (const chunk of out.chunks!) if (!req.write(chunk)) await once(req, 'drain');
        req.end();
      })().catch(fail);
    } else {
      req.end(out.body);
    }
  });
}

export function closeClient(): void {
  agent.destroy();
}

// ---------------------------------------------------------------------------------------------
// Comparison

/** Left out of comparisons: they describe one connection, or the moment. */
const IGNORED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date']);

export interface Comparable {
  status: number;
  /** Names in alphabetical order; each name's values in the order they came. */
  headers: Record<string, string[]>;
  /** The text, or its length and hash past 4 KiB or when it is not UTF-8. */
  body: string;
}

export function describeBody(body: Buffer): string {
  const text = body.toString('utf8');
  if (body.length <= 4096 && Buffer.from(text, 'utf8').equals(body)) return text;
  return `${body.length} bytes, sha256 ${createHash('sha256').update(body).digest('hex')}`;
}

export function comparable(res: Incoming): Comparable {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of res.headers) {
    if (!IGNORED.has(name)) (headers[name] ??= []).push(value);
  }
  const sorted: Record<string, string[]> = {};
  for (const name of Object.keys(headers).sort()) sorted[name] = headers[name]!;
  return { status: res.status, headers: sorted, body: describeBody(res.body) };
}

export function headerValues(res: Incoming | Interim, name: string): string[] {
  return res.headers.filter(([n]) => n === name).map(([, v]) => v);
}

export function sha256(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** Polls `probe` until `done` holds of its result, for at most `timeoutMs`; the last result either way. */
export async function pollUntil<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

let counter = 0;
/** An id of this test's own for the apps' shared state. */
export function uniqueId(what: string): string {
  return `${what}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** `promise`, or a rejection naming `what` after `ms` (a bounded wait, not a timing assertion). */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
