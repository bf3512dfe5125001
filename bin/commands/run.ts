import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { MemoryLayer, RedisLayer } from '../../channel-layer/index.js';
import { Worker } from '../../consumers/index.js';
import { InterfaceServer } from '../../interface-server/index.js';
import { startAdmin } from '../admin.js';
import { processRegistry } from '../metrics.js';
import { loadApp } from '../load-app.js';
import {
  addLayerFlags,
  addServerFlags,
  addWorkerFlags,
  logger,
  onShutdownSignal,
  tlsFrom,
  type CommonFlags,
  type ServerFlags,
  type WorkerFlags,
  waitForRedis,
} from '../options.js';

function serverOptions(flags: ServerFlags, manifest?: { websocketPaths: string[]; static: { prefix: string; dir: string }[] }) {
  return {
    host: flags.host,
    port: flags.port,
    tls: tlsFrom(flags),
    limits: { responseTimeoutMs: flags.responseTimeout },
    shutdownTimeoutMs: flags.shutdownTimeout,
    ...(manifest ? { websocketPaths: manifest.websocketPaths, static: manifest.static.map((s) => ({ prefix: s.prefix, dir: resolve(s.dir) })) } : {}),
  };
}

function workerOptions(flags: WorkerFlags) {
  return { concurrency: flags.concurrency, timeoutMs: flags.timeout, drainTimeoutMs: flags.drainTimeout };
}

/**
 * Opens the Redis layer and runs `start` on it. If starting fails, the layer is closed (its
 * connections would otherwise keep a failed process alive); once started, the first SIGTERM
 * or SIGINT runs the returned stop, then closes the layer.
 */
async function onRedis(
  flags: CommonFlags,
  processName: string,
  log: Logger,
  start: (layer: RedisLayer, metrics: Registry) => Promise<() => Promise<void>>,
): Promise<void> {
  const layer = new RedisLayer({ url: flags.redis, prefix: flags.prefix, processName, onWarning: (line) => log.warn(line) });
  const metrics = processRegistry(layer);
  let stop: () => Promise<void>;
  let admin: Server | undefined;
  let draining = false;
  let starting = true;
  try {
    // Health endpoints first: an orchestrator can ask from the start, and hears "not ready"
    // until the process is.
    if (flags.adminPort !== undefined) admin = await startAdmin(flags.adminHost, flags.adminPort, { layer, registry: metrics, draining: () => starting || draining }, log);
    stop = await start(layer, metrics);
    starting = false;
  } catch (error) {
    admin?.close();
    await layer.close();
    throw error;
  }
  onShutdownSignal(log, async () => {
    draining = true;
    await stop();
    await layer.close();
    admin?.close();
  });
}

/** `switchyard dev APP`: server and worker in one process on the in-memory layer. */
export function devCommand(): Command {
  const command = new Command('dev')
    .description('run APP for development: interface server and worker in one process, in-memory layer, no Redis')
    .argument('<app>', 'module exporting the app (.ts or .js)');
  addServerFlags(addWorkerFlags(addLayerFlags(command, false)));
  command.addOption(new Option('--redis <url>', 'Redis for durable channels only (optional: without it they run at most once)').env('REDIS_URL'));
  return command.action(async (file: string, flags: CommonFlags & ServerFlags & WorkerFlags & { redis?: string }) => {
    const log = logger(flags.logLevel, 'switchyard', flags.logFormat);
    const app = await loadApp(file);
    const layer = new MemoryLayer({ processName: 'dev' });
    const durable = flags.redis === undefined ? undefined : { url: flags.redis, prefix: 'switchyard-dev' };
    const metrics = processRegistry(layer);
    const worker = new Worker(app, layer, { ...workerOptions(flags), durable, metrics, logger: log.child({ role: 'worker' }) });
    const server = new InterfaceServer(layer, { ...serverOptions(flags, app.manifest()), metrics, logger: log.child({ role: 'server' }) });
    let draining = true; // until started: health endpoints first, "not ready" until then
    const admin = flags.adminPort === undefined ? undefined : await startAdmin(flags.adminHost, flags.adminPort, { layer, registry: metrics, draining: () => draining }, log);
    await worker.start();
    await server.listen();
    draining = false;
    onShutdownSignal(log, async () => {
      draining = true;
      await server.close();
      await worker.stop();
      await layer.close();
      admin?.close();
    });
  });
}

/** `switchyard serve [APP]`: the interface server on Redis; reads only the app's manifest. */
export function serveCommand(): Command {
  const command = new Command('serve')
    .description("run the interface server on Redis; APP, if given, is read only for its manifest (WebSocket paths, static folders)")
    .argument('[app]', 'module exporting the app (.ts or .js)');
  addServerFlags(addLayerFlags(command, true));
  return command.action(async (file: string | undefined, flags: CommonFlags & ServerFlags) => {
    const log = logger(flags.logLevel, 'switchyard', flags.logFormat);
    const manifest = file === undefined ? undefined : (await loadApp(file)).manifest();
    await onRedis(flags, 'server', log, async (layer, metrics) => {
      const server = new InterfaceServer(layer, { ...serverOptions(flags, manifest), metrics, logger: log.child({ role: 'server' }) });
      // Listen even while Redis is away (requests get 503 until it is back), but give it a moment first.
      await layer.waitUntilReady(3_000).catch(() => log.warn({ redis: flags.redis }, 'Redis not reachable yet: answering 503 until it is'));
      await server.listen();
      return () => server.close();
    });
  });
}

/** `switchyard worker APP`: runs the app's consumers on Redis. */
export function workerCommand(): Command {
  const command = new Command('worker').description("run APP's consumers on Redis").argument('<app>', 'module exporting the app (.ts or .js)');
  addWorkerFlags(addLayerFlags(command, true));
  return command.action(async (file: string, flags: CommonFlags & WorkerFlags) => {
    const log = logger(flags.logLevel, 'switchyard', flags.logFormat);
    const app = await loadApp(file);
    await onRedis(flags, 'worker', log, async (layer, metrics) => {
      const durable = { url: flags.redis, prefix: flags.prefix };
      const worker = new Worker(app, layer, { ...workerOptions(flags), durable, metrics, logger: log.child({ role: 'worker' }) });
      await waitForRedis(layer, log, flags.redis);
      await worker.start();
      return () => worker.stop();
    });
  });
}
