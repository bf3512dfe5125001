import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { Command } from 'commander';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { describeTarget, LayerUnavailable, MemoryLayer, RedisLayer } from '../../channel-layer/index.js';
import { Worker, type App, type WorkerOptionsInput } from '../../consumers/index.js';
import { InterfaceServer, type ServerOptionsInput } from '../../interface-server/index.js';
import { startAdmin } from '../admin.js';
import { addSettingFlags, resolveSettings, type ResolvedSettings } from '../config/load.js';
import type { CommandName } from '../config/flags.js';
import type { Settings } from '../config/schema.js';
import { processRegistry } from '../metrics.js';
import { assertCanListen } from '../port-check.js';
import { loadApp } from '../load-app.js';
import { logger, onShutdownSignal, tlsFiles, waitForRedis } from '../options.js';

type Manifest = { websocketPaths: string[]; websocketAcceptPaths: string[]; static: { prefix: string; dir: string }[] };

/**
 * The server's options: its settings, plus what the app's manifest says (its WebSocket paths,
 * unless the settings name them; its static folders, after those of the settings).
 */
/** `dev` takes WebSockets from pages on the developer's own machine, whatever their port. */
const LOCAL_ORIGINS = ['http://localhost:*', 'https://localhost:*', 'http://127.0.0.1:*', 'https://127.0.0.1:*', 'http://[::1]:*', 'https://[::1]:*'];

function serverOptionsFrom({ settings, isSet }: ResolvedSettings, manifest: Manifest | undefined, dev = false): ServerOptionsInput {
  const { tlsCert, tlsKey, ...server } = settings.server;
  return {
    ...server,
    allowedOrigins: dev && !isSet('server.allowedOrigins') ? LOCAL_ORIGINS : server.allowedOrigins,
    tls: tlsFiles(tlsCert, tlsKey),
    websocketPaths: isSet('server.websocketPaths') || manifest === undefined ? server.websocketPaths : manifest.websocketPaths,
    websocketAcceptPaths: isSet('server.websocketAcceptPaths') || manifest === undefined ? server.websocketAcceptPaths : manifest.websocketAcceptPaths,
    static: [...server.static, ...(manifest?.static ?? []).map((s) => ({ prefix: s.prefix, dir: resolve(s.dir) }))],
  };
}

function workerOptionsFrom(settings: Settings): WorkerOptionsInput {
  return settings.worker;
}

function logFor(settings: Settings, dev: boolean): Logger {
  return logger(settings.log.level, 'switchyard', settings.log.format ?? (dev ? 'pretty' : 'json'));
}

/** A command that runs: the app argument, the setting flags; its action gets the resolved settings. */
function runCommand(
  name: CommandName,
  description: string,
  appArgument: '<app>' | '[app]',
  action: (file: string, resolved: ResolvedSettings) => Promise<void>,
): Command {
  const command = new Command(name).description(description).argument(appArgument, 'module exporting the app (.ts or .js)');
  return addSettingFlags(command, name).action((file: string) => action(file, resolveSettings(command, name)));
}

/**
 * Opens the Redis layer and runs `start` on it. If starting fails, the layer is closed (its
 * connections would otherwise keep a failed process alive); once started, the first SIGTERM
 * or SIGINT runs the returned stop, then closes the layer.
 */
async function onRedis(
  settings: Settings,
  processName: string,
  log: Logger,
  start: (layer: RedisLayer, metrics: Registry) => Promise<() => Promise<void>>,
  app?: App,
): Promise<void> {
  const layer = new RedisLayer({ ...settings.redis, ...settings.layer, groupHistory: groupHistory(settings, app), processName, onWarning: (line) => log.warn(line) });
  const metrics = processRegistry(layer);
  const { admin: adminAt } = settings;
  let stop: () => Promise<void>;
  let admin: Server | undefined;
  let draining = false;
  let starting = true;
  try {
    // Health endpoints first: an orchestrator can ask from the start, and hears "not ready"
    // until the process is.
    if (adminAt.port !== undefined) admin = await startAdmin(adminAt.host, adminAt.port, { layer, registry: metrics, draining: () => starting || draining }, log);
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

/** Where durable channels' queues live: the layer's Redis (shards split only the layer's lists). */
function durableTarget(settings: Settings): Omit<Settings['redis'], 'shards'> {
  const { shards: _layerOnly, ...target } = settings.redis;
  return target;
}

/** `switchyard dev APP`: server and worker in one process on the in-memory layer. */
export function devCommand(): Command {
  const description = 'run APP for development: interface server and worker in one process, in-memory layer, no Redis';
  return runCommand('dev', description, '<app>', async (file, resolved) => {
    const { settings, isSet } = resolved;
    const log = logFor(settings, true);
    const app = await loadApp(file);
    const { inboxBatch: _redisOnly, outageGraceMs: _alsoRedisOnly, ...layerSettings } = settings.layer;
    const layer = new MemoryLayer({ ...layerSettings, groupHistory: groupHistory(settings, app), processName: 'dev' });
    // Redis only when asked for, and then only for durable channels, under keys of its own: a
    // deployment's config file must not make a laptop take production's jobs.
    const durable = isSet('redis.url') || isSet('redis.sentinels') || isSet('redis.cluster') ? { ...durableTarget(settings), prefix: `${settings.redis.prefix}-dev` } : undefined;
    const metrics = processRegistry(layer);
    const server = new InterfaceServer(layer, { ...serverOptionsFrom(resolved, app.manifest(), true), metrics, logger: log.child({ role: 'server' }) });
    // A taken port is reported before the worker starts (and logs that it did).
    await assertCanListen(server.options.host, server.options.port);
    const worker = new Worker(app, layer, { ...workerOptionsFrom(settings), durable, metrics, logger: log.child({ role: 'worker' }) });
    let draining = true; // until started: health endpoints first, "not ready" until then
    const { admin: adminAt } = settings;
    const admin = adminAt.port === undefined ? undefined : await startAdmin(adminAt.host, adminAt.port, { layer, registry: metrics, draining: () => draining }, log);
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
  const description = 'run the interface server on Redis; APP, if given, is read only for its manifest (WebSocket paths, static folders)';
  return runCommand('serve', description, '[app]', async (file: string | undefined, resolved) => {
    const { settings } = resolved;
    const log = logFor(settings, false);
    const manifest = file === undefined ? undefined : (await loadApp(file)).manifest();
    await onRedis(settings, 'server', log, async (layer, metrics) => {
      const server = new InterfaceServer(layer, { ...serverOptionsFrom(resolved, manifest), metrics, logger: log.child({ role: 'server' }) });
      // Listen even while Redis is away (requests get 503 until it is back), but give it a moment first.
      await layer.waitUntilReady(3_000).catch((error: unknown) => {
        if (!(error instanceof LayerUnavailable)) throw error; // a misconfiguration: refuse to start
        log.warn({ redis: describeTarget(settings.redis) }, 'Redis not reachable yet: answering 503 until it is');
      });
      await server.listen();
      return () => server.close();
    });
  });
}

/** `switchyard worker APP`: runs the app's consumers on Redis. */
export function workerCommand(): Command {
  return runCommand('worker', "run APP's consumers on Redis", '<app>', async (file, { settings }) => {
    const log = logFor(settings, false);
    const app = await loadApp(file);
    await onRedis(settings, 'worker', log, async (layer, metrics) => {
      const worker = new Worker(app, layer, { ...workerOptionsFrom(settings), durable: durableTarget(settings), metrics, logger: log.child({ role: 'worker' }) });
      await waitForRedis(layer, log, settings.redis);
      await worker.start();
      return () => worker.stop();
    }, app);
  });
}

/**
 * The history rules of the configuration, then the app's (`app.history`): the first match wins.
 * Workers need them (they record and start follows); interface servers follow what they are told.
 */
function groupHistory(settings: Settings, app: App | undefined): Settings['layer']['groupHistory'] {
  return [...settings.layer.groupHistory, ...(app?.groupHistory ?? [])];
}
