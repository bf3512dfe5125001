import { resolve } from 'node:path';
import { Command } from 'commander';
import { MemoryLayer, RedisLayer } from '../../channel-layer/index.js';
import { Worker } from '../../consumers/index.js';
import { InterfaceServer } from '../../interface-server/index.js';
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

/** `switchyard dev APP`: server and worker in one process on the in-memory layer. */
export function devCommand(): Command {
  const command = new Command('dev')
    .description('run APP for development: interface server and worker in one process, in-memory layer, no Redis')
    .argument('<app>', 'module exporting the app (.ts or .js)');
  addServerFlags(addWorkerFlags(addLayerFlags(command, false)));
  return command.action(async (file: string, flags: CommonFlags & ServerFlags & WorkerFlags) => {
    const log = logger(flags.logLevel, 'switchyard');
    const app = await loadApp(file);
    const layer = new MemoryLayer({ processName: 'dev' });
    const worker = new Worker(app, layer, { ...workerOptions(flags), logger: log.child({ role: 'worker' }) });
    const server = new InterfaceServer(layer, { ...serverOptions(flags, app.manifest()), logger: log.child({ role: 'server' }) });
    await worker.start();
    await server.listen();
    onShutdownSignal(log, async () => {
      await server.close();
      await worker.stop();
      await layer.close();
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
    const log = logger(flags.logLevel, 'switchyard');
    const manifest = file === undefined ? undefined : (await loadApp(file)).manifest();
    const layer = new RedisLayer({ url: flags.redis, prefix: flags.prefix, processName: 'server', onWarning: (line) => log.warn(line) });
    try {
      const server = new InterfaceServer(layer, { ...serverOptions(flags, manifest), logger: log.child({ role: 'server' }) });
      // Listen even while Redis is away (requests get 503 until it is back), but give it a moment first.
      await layer.waitUntilReady(3_000).catch(() => log.warn({ redis: flags.redis }, 'Redis not reachable yet: answering 503 until it is'));
      await server.listen();
      onShutdownSignal(log, async () => {
        await server.close();
        await layer.close();
      });
    } catch (error) {
      await layer.close();
      throw error;
    }
  });
}

/** `switchyard worker APP`: runs the app's consumers on Redis. */
export function workerCommand(): Command {
  const command = new Command('worker').description("run APP's consumers on Redis").argument('<app>', 'module exporting the app (.ts or .js)');
  addWorkerFlags(addLayerFlags(command, true));
  return command.action(async (file: string, flags: CommonFlags & WorkerFlags) => {
    const log = logger(flags.logLevel, 'switchyard');
    const app = await loadApp(file);
    const layer = new RedisLayer({ url: flags.redis, prefix: flags.prefix, processName: 'worker', onWarning: (line) => log.warn(line) });
    try {
      const worker = new Worker(app, layer, { ...workerOptions(flags), logger: log.child({ role: 'worker' }) });
      await waitForRedis(layer, log, flags.redis);
      await worker.start();
      onShutdownSignal(log, async () => {
        await worker.stop();
        await layer.close();
      });
    } catch (error) {
      await layer.close();
      throw error;
    }
  });
}
