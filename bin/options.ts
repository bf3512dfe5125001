import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/**
 * The commands' flags. Each has an environment variable that stands in for it (commander's
 * `Option.env`), parsed and checked the same way, so `PORT=abc` fails like `--port abc`.
 */
export interface CommonFlags {
  redis: string;
  prefix: string;
  logLevel: string;
  logFormat: string;
  /** Health endpoints (/healthz, /readyz) on this port, when given. */
  adminPort?: number;
  adminHost: string;
}

export interface ServerFlags {
  host: string;
  port: number;
  tlsCert?: string;
  tlsKey?: string;
  responseTimeout: number;
  shutdownTimeout: number;
}

export interface WorkerFlags {
  concurrency: number;
  timeout: number;
  drainTimeout: number;
}

function whole(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number ≥ ${min}`);
    return n;
  };
}

function flag(flags: string, description: string, env: string, defaultValue?: string | number, parse?: (value: string) => number): Option {
  const option = new Option(flags, description).env(env);
  if (parse) option.argParser(parse);
  if (defaultValue !== undefined) option.default(defaultValue);
  return option;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

export function addLayerFlags(command: Command, redis: boolean): Command {
  if (redis) {
    command
      .addOption(flag('--redis <url>', 'Redis URL', 'REDIS_URL', 'redis://127.0.0.1:6379'))
      .addOption(flag('--prefix <prefix>', 'key prefix of the channel layer', 'SWITCHYARD_PREFIX', 'switchyard'));
  }
  return command
    .addOption(flag('--log-level <level>', 'log level', 'SWITCHYARD_LOG_LEVEL', 'info').choices(LOG_LEVELS))
    .addOption(flag('--log-format <format>', 'json lines, or pretty for people', 'SWITCHYARD_LOG_FORMAT', redis ? 'json' : 'pretty').choices(['json', 'pretty']))
    .addOption(flag('--admin-port <port>', 'serve /healthz and /readyz on this port (off when not given)', 'SWITCHYARD_ADMIN_PORT', undefined, portNumber))
    .addOption(flag('--admin-host <host>', 'address of the admin endpoints', 'SWITCHYARD_ADMIN_HOST', '127.0.0.1'));
}

export function addServerFlags(command: Command): Command {
  return command
    .addOption(flag('--host <host>', 'address to listen on', 'HOST', '127.0.0.1'))
    .addOption(flag('-p, --port <port>', 'port to listen on', 'PORT', 8000, portNumber))
    .addOption(flag('--tls-cert <file>', 'PEM certificate: serve HTTPS with HTTP/2', 'SWITCHYARD_TLS_CERT'))
    .addOption(flag('--tls-key <file>', 'PEM private key', 'SWITCHYARD_TLS_KEY'))
    .addOption(flag('--response-timeout <ms>', 'answer 504 when no worker starts a response in time', 'SWITCHYARD_RESPONSE_TIMEOUT_MS', 30_000, whole(1)))
    .addOption(flag('--shutdown-timeout <ms>', 'time in-flight requests get on shutdown', 'SWITCHYARD_SHUTDOWN_TIMEOUT_MS', 10_000, whole(0)));
}

export function addWorkerFlags(command: Command): Command {
  return command
    .addOption(flag('-c, --concurrency <n>', 'consumers run at once', 'SWITCHYARD_CONCURRENCY', 64, whole(1)))
    .addOption(flag('--timeout <ms>', 'longest a consumer may run', 'SWITCHYARD_TIMEOUT_MS', 30_000, whole(1)))
    .addOption(flag('--drain-timeout <ms>', 'on SIGTERM, time running consumers get to finish', 'SWITCHYARD_DRAIN_TIMEOUT_MS', 30_000, whole(0)));
}

function portNumber(value: string): number {
  const port = whole(0)(value);
  if (port > 65535) throw new InvalidArgumentError('expected a port number, 0-65535');
  return port;
}

/**
 * JSON lines for log pipelines, or (`pretty`, the default of `dev`) one readable line per
 * entry, written synchronously by pino-pretty in this process.
 */
export function logger(level: string, name: string, format: string = 'json'): Logger {
  if (format === 'pretty') return pino({ name, level }, pretty({ colorize: process.stdout.isTTY, sync: true, singleLine: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' }));
  return pino({ name, level });
}

export function tlsFrom(flags: ServerFlags): { cert: Buffer; key: Buffer } | undefined {
  if (flags.tlsCert === undefined && flags.tlsKey === undefined) return undefined;
  if (flags.tlsCert === undefined || flags.tlsKey === undefined) throw new InvalidArgumentError('--tls-cert and --tls-key go together');
  return { cert: readFileSync(flags.tlsCert), key: readFileSync(flags.tlsKey) };
}

/**
 * Runs `stop` on the first SIGTERM or SIGINT; a second one exits at once. The process exits
 * with 0 once `stop` resolves.
 */
export function onShutdownSignal(log: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handle = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}

/** Waits for Redis before taking work, saying so while it is not there yet. */
export async function waitForRedis(layer: { waitUntilReady(ms: number): Promise<void> }, log: Logger, url: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await layer.waitUntilReady(attempt === 0 ? 3_000 : 10_000);
      return;
    } catch {
      log.warn({ redis: url }, 'waiting for Redis');
    }
  }
}
