/**
 * The fault suite (issue 13): `npm run faults`. Real processes on loopback (its own
 * redis-server, `switchyard serve` and `switchyard worker` from dist/), real clients; each case
 * prints what was expected and what was seen, and the run exits non-zero if one fails.
 * Takes about three minutes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import WebSocket from 'ws';

const CLI = 'dist/bin/switchyard.js';
const APP = 'bench/apps/faults-app.ts';
const PASSWORD = `pw-${Math.random().toString(36).slice(2)}`;

interface Row {
  name: string;
  expected: string;
  seen: string;
  pass: boolean;
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  return port;
}

/** A child process with its output kept, stopped with SIGTERM (then SIGKILL) at the end. */
class Proc {
  output = '';
  private readonly exited: Promise<unknown>;
  constructor(
    command: string,
    args: string[],
    env: Record<string, string> = {},
    readonly child: ChildProcess = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
  ) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = once(child, 'exit');
    running.add(this);
  }

  async waitFor(pattern: RegExp, ms = 15_000): Promise<RegExpMatchArray> {
    for (const until = Date.now() + ms; Date.now() < until; await sleep(25)) {
      const found = pattern.exec(this.output);
      if (found) return found;
      if (this.child.exitCode !== null) break;
    }
    throw new Error(`no ${pattern} from ${this.child.spawnfile}:\n${this.output.slice(-2000)}`);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    running.delete(this);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill(signal);
    if ((await Promise.race([this.exited.then(() => true), sleep(10_000, false)])) === false) this.child.kill('SIGKILL');
    await this.exited;
  }
}
const running = new Set<Proc>();

/** A redis-server of the suite's own; `kill` and `start` again on the same port. */
class RedisProc {
  proc: Proc | undefined;
  constructor(readonly port: number, readonly password?: string) {}
  get url(): string {
    return `redis://${this.password ? `:${this.password}@` : ''}127.0.0.1:${this.port}`;
  }
  async start(): Promise<this> {
    this.proc = new Proc('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(this.password ? ['--requirepass', this.password] : [])]);
    await this.proc.waitFor(/Ready to accept connections/);
    return this;
  }
  kill(): Promise<void> {
    return this.proc!.stop('SIGKILL');
  }
}

async function redis(): Promise<RedisProc> {
  return new RedisProc(await freePort()).start();
}

async function serve(redisUrl: string, flags: string[] = [], env: Record<string, string> = {}): Promise<{ proc: Proc; port: number }> {
  const proc = new Proc(process.execPath, [CLI, 'serve', APP, '--port', '0', '--redis', redisUrl, ...flags], env);
  const [, port] = await proc.waitFor(/listening on http:\/\/127\.0\.0\.1:(\d+)/);
  return { proc, port: Number(port) };
}

async function worker(redisUrl: string, flags: string[] = []): Promise<Proc> {
  const proc = new Proc(process.execPath, [CLI, 'worker', APP, '--redis', redisUrl, ...flags]);
  await proc.waitFor(/"worker started"/);
  return proc;
}

function openWs(port: number, path: string, options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, options);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`handshake answered ${res.statusCode}`)));
  });
}

/** Case 1: a 2 s consumer, 4 slots, 100 clients asking at once. */
async function overload(): Promise<Row> {
  const r = await redis();
  await worker(r.url, ['--concurrency', '4']);
  const { port } = await serve(r.url, ['--response-timeout', '10000']);
  const started = Date.now();
  const okAt: number[] = [];
  const refused: { askedAt: number; tookMs: number }[] = []; // the 503s and 504s
  const statuses: Record<string, number> = {};
  let sent = 0;
  const total = 200;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (sent < total) {
        sent++;
        const asked = Date.now();
        const status = await fetch(`http://127.0.0.1:${port}/slow`).then(
          async (res) => (await res.arrayBuffer(), res.status),
          () => 'error',
        );
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200) okAt.push(Date.now() - started);
        if (status === 503 || status === 504) refused.push({ askedAt: asked, tookMs: Date.now() - asked });
      }
    }),
  );
  const ran = Date.now() - started;
  const windows = Math.floor(ran / 2000) - 1; // whole 2 s windows after the first
  let worst = Infinity;
  for (let w = 1; w <= windows; w++) worst = Math.min(worst, okAt.filter((t) => t >= w * 2000 && t < (w + 1) * 2000).length);
  const after = await fetch(`http://127.0.0.1:${port}/slow`).then((res) => res.status);
  const client = new Redis(r.url);
  const queued = await client.llen('switchyard:ch:{http.request}');
  client.disconnect();
  // Requests asked before the overload showed were taken in and wait in the channel; those
  // asked once the server has refused one on arrival must be refused at once too.
  const seenAt = Math.min(...refused.filter((r) => r.tookMs < 1000).map((r) => r.askedAt));
  const later = refused.filter((r) => r.askedAt >= seenAt);
  const prompt = later.filter((r) => r.tookMs < 1000).length;
  const pass = worst >= 0.8 * 4 && after === 200 && queued === 0 && (statuses.error ?? 0) === 0 && later.length > 0 && prompt >= 0.9 * later.length;
  return {
    name: '1. overload: 2 s consumer, 4 slots, 200 requests from 100 clients',
    expected: '≥ 3.2 of 4 possible 200s in every 2 s window; the rest 503/504, within 1 s (≥ 90 %) once the overload showed; a request after the load: 200; nothing left queued',
    seen: `${(ran / 1000).toFixed(0)} s; fewest 200s in a 2 s window: ${worst}; ${JSON.stringify(statuses)}; refused within 1 s once the overload showed: ${prompt} of ${later.length} (${refused.length} refused in all); after: ${after}; queued: ${queued}`,
    pass,
  };
}

/** Case 2: 10,000 frames at once on one connection. */
async function burst(r: RedisProc, port: number): Promise<Row> {
  const ws = await openWs(port, '/ws/echo');
  const replies: string[] = [];
  let closed: number | undefined;
  const done = new Promise<void>((resolve) => {
    ws.on('message', (data) => replies.push(data.toString()) === 10_000 && resolve());
    ws.on('close', (code) => resolve(void (closed = code)));
  });
  for (let i = 0; i < 10_000; i++) ws.send(String(i));
  await Promise.race([done, sleep(60_000)]);
  const inOrder = replies.every((reply, i) => reply === String(i));
  ws.close();
  void r;
  return {
    name: '2. burst: 10,000 frames sent at once on one WebSocket',
    expected: '10,000 replies in order on an open connection (or a close code)',
    seen: `${replies.length} replies, ${inOrder ? 'in order' : 'OUT OF ORDER'}, ${closed === undefined ? 'still open' : `closed ${closed}`}`,
    pass: (replies.length === 10_000 && inOrder && closed === undefined) || (closed !== undefined && inOrder),
  };
}

/** Case 3: 5,000 members of a group close at once. */
async function disconnects(r: RedisProc, port: number): Promise<Row> {
  const clients: WebSocket[] = [];
  for (let i = 0; i < 5000; i += 100) clients.push(...(await Promise.all(Array.from({ length: 100 }, () => openWs(port, '/ws/room')))));
  const members = new Redis(r.url);
  const before = await members.zcard('switchyard:group:{room}');
  for (const ws of clients) ws.close(1000);
  let after = before;
  for (const until = Date.now() + 60_000; Date.now() < until && after > 0; await sleep(250)) after = await members.zcard('switchyard:group:{room}');
  members.disconnect();
  return {
    name: '3. 5,000 clients in a group close at once',
    expected: 'every disconnect consumer runs: the group empties',
    seen: `members before: ${before}, after: ${after}`,
    pass: before === 5000 && after === 0,
  };
}

/** Case 4: Redis down 5 s, then 15 s, under 50 open WebSockets. */
async function outage(r: RedisProc, port: number, downMs: number): Promise<Row> {
  const sockets = await Promise.all(Array.from({ length: 50 }, () => openWs(port, '/ws/echo')));
  const got = sockets.map(() => [] as string[]);
  const closes: number[] = [];
  sockets.forEach((ws, i) => {
    ws.on('message', (data) => got[i]!.push(data.toString()));
    ws.on('close', (code) => closes.push(code));
  });
  // Idle sockets at the moment Redis dies: each has had an echo, so no event of theirs is in
  // flight (one that is would be lost with Redis: delivery is at most once).
  for (const ws of sockets) ws.send('before');
  for (const until = Date.now() + 10_000; Date.now() < until && got.some((g) => g.length === 0); ) await sleep(50);
  await r.kill();
  for (const ws of sockets) ws.send('during');
  await sleep(downMs);
  await r.start();
  for (const until = Date.now() + 20_000; Date.now() < until && got.some((g) => g.length < 2) && closes.length < 50; ) await sleep(100);
  const echoed = got.filter((g) => g[0] === 'before' && g[1] === 'during').length;
  for (const ws of sockets) ws.terminate();
  if (downMs < 10_000) {
    return {
      name: `4a. Redis down ${downMs / 1000} s under 50 open WebSockets`,
      expected: '0 closed; the frames sent meanwhile echoed after it',
      seen: `${closes.length} closed${closes.length > 0 ? ` (${[...new Set(closes)].join(', ')})` : ''}; ${echoed} of 50 echoed`,
      pass: closes.length === 0 && echoed === 50,
    };
  }
  return {
    name: `4b. Redis down ${downMs / 1000} s under 50 open WebSockets`,
    expected: 'all closed 1013 once the 10 s grace has passed',
    seen: `${closes.filter((c) => c === 1013).length} closed 1013, ${closes.length} closed in all`,
    pass: closes.length === 50 && closes.every((c) => c === 1013),
  };
}

/** HTTP load on /fast from 20 clients until `stop`: statuses counted, and every request answered. */
function httpLoad(port: number): { stop: () => Promise<Record<string, number>> } {
  const statuses: Record<string, number> = {};
  let stopping = false;
  const lanes = Array.from({ length: 20 }, async () => {
    while (!stopping) {
      const status = await fetch(`http://127.0.0.1:${port}/fast`, { signal: AbortSignal.timeout(40_000) }).then(
        async (res) => (await res.arrayBuffer(), String(res.status)),
        (error: Error) => (error.name === 'TimeoutError' ? 'hung' : 'error'),
      );
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  });
  return {
    async stop() {
      stopping = true;
      await Promise.all(lanes);
      return statuses;
    },
  };
}

/** A worker killed outright (SIGKILL) under HTTP and WebSocket load, two others alive. */
async function workerKilled(): Promise<Row> {
  const r = await redis();
  const victim = await worker(r.url);
  await worker(r.url);
  await worker(r.url);
  const { port } = await serve(r.url, ['--response-timeout', '5000']);
  const sockets = await Promise.all(Array.from({ length: 20 }, () => openWs(port, '/ws/echo')));
  const echoes = sockets.map(() => 0);
  sockets.forEach((ws, i) => ws.on('message', () => echoes[i]!++));
  const chatter = setInterval(() => sockets.forEach((ws) => ws.readyState === WebSocket.OPEN && ws.send('x')), 100);
  const load = httpLoad(port);
  await sleep(2000);
  await victim.stop('SIGKILL');
  await sleep(8000);
  const before = echoes.reduce((a, b) => a + b, 0);
  await sleep(1000);
  clearInterval(chatter);
  const statuses = await load.stop();
  const echoing = echoes.reduce((a, b) => a + b, 0) > before;
  const open = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;
  for (const ws of sockets) ws.terminate();
  const unanswered = (statuses.hung ?? 0) + (statuses.error ?? 0);
  return {
    name: '10. a worker SIGKILLed under HTTP and WebSocket load (3 workers)',
    expected: 'every request answered (what the dead worker held: 504/1011); the rest keeps going',
    seen: `HTTP ${JSON.stringify(statuses)}; WebSockets open after: ${open} of 20, echoing after: ${echoing}`,
    pass: unanswered === 0 && (statuses['200'] ?? 0) > 0 && echoing,
  };
}

/** Redis restarted (down 2 s) under HTTP load. */
async function redisRestart(): Promise<Row> {
  const r = await redis();
  await worker(r.url);
  const { port } = await serve(r.url);
  const load = httpLoad(port);
  await sleep(1500);
  await r.kill();
  await sleep(2000);
  await r.start();
  await sleep(4000);
  const during = await load.stop();
  const after = await fetch(`http://127.0.0.1:${port}/fast`).then((res) => res.status);
  const unanswered = (during.hung ?? 0) + (during.error ?? 0);
  return {
    name: '11. Redis restarted (down 2 s) under HTTP load',
    expected: '503 while it is down, never a hang; 200 again after',
    seen: `${JSON.stringify(during)}; after: ${after}`,
    pass: unanswered === 0 && after === 200 && (during['503'] ?? 0) > 0,
  };
}

/** Case 5: no worker for the channel. */
async function noWorker(): Promise<Row> {
  const r = await redis();
  const { port } = await serve(r.url);
  const started = Date.now();
  const res = await fetch(`http://127.0.0.1:${port}/slow`);
  const ms = Date.now() - started;
  return {
    name: '5. no worker running',
    expected: '503 at once, with Retry-After',
    seen: `${res.status} in ${ms} ms, Retry-After: ${res.headers.get('retry-after')}`,
    pass: res.status === 503 && res.headers.get('retry-after') !== null && ms < 5000,
  };
}

/** Case 6: an upload read slowly, past requestTimeoutMs. */
async function slowUpload(r: RedisProc): Promise<Row> {
  // requestTimeoutMs has no flag: a config file of its own.
  const config = join(tmpdir(), `switchyard-faults-${process.pid}.json`);
  writeFileSync(config, JSON.stringify({ server: { limits: { requestTimeoutMs: 3000 } } }));
  const { port } = await serve(r.url, [], { SWITCHYARD_CONFIG: config });
  const body = Buffer.alloc(8 * 1024 * 1024, 'u');
  const started = Date.now();
  const res = await fetch(`http://127.0.0.1:${port}/upload-slow`, { method: 'POST', body });
  const text = await res.text();
  return {
    name: '6. 8 MiB upload read at 50 ms per chunk, requestTimeoutMs 3 s',
    expected: '200: the time the server held the client back does not count',
    seen: `${res.status} "${text.trim()}" after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    pass: res.status === 200 && text.trim() === `got ${body.length} bytes`,
  };
}

/** Case 7: a password in the Redis URL, with Redis unreachable. */
async function secrets(): Promise<Row> {
  const url = `redis://:${PASSWORD}@127.0.0.1:${await freePort()}`;
  const server = new Proc(process.execPath, [CLI, 'serve', APP, '--port', '0', '--redis', url]);
  const work = new Proc(process.execPath, [CLI, 'worker', APP], { REDIS_URL: url });
  const status = new Proc(process.execPath, [CLI, 'status', '--redis', url]);
  await Promise.all([server.waitFor(/Redis not reachable/), work.waitFor(/waiting for Redis/), status.waitFor(/cannot read/)]);
  await Promise.all([server.stop(), work.stop(), status.stop()]);
  const leaked = [server, work, status].filter((p) => p.output.includes(PASSWORD)).length;
  return {
    name: '7. a Redis password in the URL, Redis unreachable (serve, worker, status)',
    expected: 'the password in no output; the URL shown masked',
    seen: `${leaked} of 3 outputs contain it; masked: ${server.output.includes(':***@')}`,
    pass: leaked === 0 && server.output.includes(':***@'),
  };
}

/** Case 8: a 50 MB body sent whole before reading; a WebSocket handshake of another version. */
async function refusals(port: number): Promise<Row[]> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
  let writeError = '';
  socket.on('error', (error: NodeJS.ErrnoException) => (writeError = error.code ?? error.message));
  socket.write(`POST /upload-slow HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`);
  const mib = Buffer.alloc(1024 * 1024, 'x');
  const drainedOrClosed = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done).off('close', done);
        resolve();
      };
      socket.on('drain', done).on('close', done);
    });
  for (let i = 0; i < 50 && !writeError && !socket.destroyed; i++) if (!socket.write(mib)) await drainedOrClosed();
  for (const until = Date.now() + 10_000; Date.now() < until && !answer.includes('\r\n\r\n'); ) await sleep(50);
  socket.destroy();
  const version = await new Promise<string>((resolve) => {
    const raw = net.connect(port, '127.0.0.1', () =>
      raw.write(`GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 12\r\n\r\n`),
    );
    let text = '';
    raw.on('data', (chunk) => (text += chunk.toString('latin1')));
    raw.on('close', () => resolve(text));
    raw.on('error', () => resolve(text));
  });
  return [
    {
      name: '8a. a 50 MB body declared and sent whole before reading',
      expected: 'a 413 status line the client reads (no EPIPE)',
      seen: `${answer.split('\r\n')[0] || 'no status line'}${writeError ? `, write error ${writeError}` : ''}`,
      pass: answer.startsWith('HTTP/1.1 413 ') && !writeError,
    },
    {
      name: '8b. a WebSocket handshake with Sec-WebSocket-Version: 12',
      expected: '426 with Sec-WebSocket-Version: 13',
      seen: `${version.split('\r\n')[0]}; ${/sec-websocket-version: 13/i.test(version) ? 'names 13' : 'names no version'}`,
      pass: version.startsWith('HTTP/1.1 426 ') && /sec-websocket-version: 13/i.test(version),
    },
  ];
}

/** Case 9: a page of another site opens a WebSocket. */
async function crossSite(port: number): Promise<Row> {
  const outcome = (origin: string): Promise<string> => openWs(port, '/ws/echo', { origin }).then((ws) => (ws.close(), 'open'), (error: Error) => error.message);
  const evil = await outcome('https://evil.example');
  const own = await outcome(`http://127.0.0.1:${port}`);
  return {
    name: '9. WebSocket handshakes by Origin, default settings',
    expected: 'another site: 403; the server\'s own origin: open',
    seen: `another site: ${evil}; own origin: ${own}`,
    pass: evil === 'handshake answered 403' && own === 'open',
  };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const only = process.argv[2]; // `npm run faults -- outage`: the cases whose function name contains it
  const run = async (make: () => Promise<Row | Row[]>, name = make.name): Promise<void> => {
    if (only !== undefined && !name.includes(only)) return;
    const from = rows.length;
    try {
      const made = await make();
      rows.push(...(Array.isArray(made) ? made : [made]));
    } catch (error) {
      rows.push({ name: `${name}: did not run`, expected: '—', seen: `failed to run: ${(error as Error).message.split('\n')[0]}`, pass: false });
    }
    for (const row of rows.slice(from)) console.error(`${row.pass ? 'pass' : 'FAIL'}  ${row.name}: ${row.seen}`);
  };
  try {
    await run(overload);
    const r = await redis();
    await worker(r.url);
    await worker(r.url);
    await worker(r.url);
    const { port } = await serve(r.url);
    await run(() => burst(r, port), 'burst');
    await run(() => disconnects(r, port), 'disconnects');
    await run(() => outage(r, port, 5000), 'outage');
    await run(() => outage(r, port, 15_000), 'outage');
    await run(noWorker);
    await run(() => slowUpload(r), 'slowUpload');
    await run(secrets);
    await run(() => refusals(port), 'refusals');
    await run(() => crossSite(port), 'crossSite');
    await run(workerKilled);
    await run(redisRestart);
  } finally {
    if (process.env.FAULTS_LOGS) for (const p of running) console.error(`--- ${p.child.spawnargs.slice(1, 3).join(' ')}\n${p.output.slice(-Number(process.env.FAULTS_LOGS))}`);
    await Promise.all([...running].map((p) => p.stop('SIGKILL')));
  }
  const width = Math.max(...rows.map((row) => row.name.length));
  console.log(`\n| case${' '.repeat(width - 4)} | expected | seen | pass |\n| --- | --- | --- | --- |`);
  for (const row of rows) console.log(`| ${row.name.padEnd(width)} | ${row.expected} | ${row.seen} | ${row.pass ? 'yes' : '**NO**'} |`);
  const failed = rows.filter((row) => !row.pass).length;
  console.log(`\n${rows.length - failed} of ${rows.length} cases pass`);
  process.exitCode = failed === 0 ? 0 : 1;
}

await main();
