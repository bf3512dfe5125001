/**
 * The docker-compose topology as local processes, for machines without Docker: a redis-server,
 * one `switchyard serve` (with its admin endpoints) and N `switchyard worker`s, all on the
 * same app and prefix. Ctrl-C (or SIGTERM) stops them all, workers draining first.
 *
 *     npm run stack -- [--workers 2] [--port 8000] [--admin-port 9000] [--app examples/quickstart/app.ts]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: process.env.SWITCHYARD_WORKERS ?? '2' },
    port: { type: 'string', default: process.env.PORT ?? '8000' },
    'admin-port': { type: 'string', default: process.env.SWITCHYARD_ADMIN_PORT ?? '9000' },
    app: { type: 'string', default: 'examples/quickstart/app.ts' },
  },
});
const workers = Number(values.workers);
if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers must be a whole number ≥ 1, got "${values.workers}"`);

const children: { name: string; child: ChildProcess }[] = [];

/** Starts a process whose output lines are prefixed with its name; resolves on the first line matching `ready`. */
function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<string> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push({ name, child });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready`)));
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        console.log(`${name.padEnd(9)}| ${line}`);
        if (ready.test(line)) resolve(line);
      });
    }
  });
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function stopAll(): Promise<void> {
  // Workers and the server drain on SIGTERM; Redis goes last.
  const redis = children.find((c) => c.name === 'redis');
  const others = children.filter((c) => c !== redis && c.child.exitCode === null);
  for (const { child } of others) child.kill('SIGTERM');
  await Promise.race([Promise.all(others.map(({ child }) => once(child, 'exit'))), sleep(35_000)]);
  for (const { child } of others) if (child.exitCode === null) child.kill('SIGKILL');
  redis?.child.kill('SIGTERM');
  if (redis && redis.child.exitCode === null) await once(redis.child, 'exit');
}

async function main(): Promise<void> {
  const redisPort = await freePort();
  await start('redis', 'redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {}, /Ready to accept connections/);
  const env = { REDIS_URL: `redis://127.0.0.1:${redisPort}`, SWITCHYARD_PREFIX: 'stack' };
  const cli = ['dist/bin/switchyard.js'];
  const listening = await start('server', process.execPath, [...cli, 'serve', values.app!, '--port', values.port!, '--admin-port', values['admin-port']!], env, /listening on/);
  const url = /listening on (\S+?)"/.exec(listening)?.[1] ?? '?';
  await Promise.all([...Array(workers)].map((_, i) => start(`worker.${i + 1}`, process.execPath, [...cli, 'worker', values.app!], env, /worker started/)));
  console.log(`stack     | ready: ${url} (admin http://127.0.0.1:${values['admin-port']}, redis ${env.REDIS_URL}, prefix ${env.SWITCHYARD_PREFIX}, ${workers} worker${workers === 1 ? '' : 's'})`);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log('stack     | stopping');
    void stopAll().then(() => process.exit(0));
  });
}

main().catch(async (error: Error) => {
  console.error(`stack     | ${error.message}`);
  await stopAll();
  process.exit(1);
});
