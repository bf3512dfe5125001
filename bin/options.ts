import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { pino, type Logger } from 'pino';

/** Flags every command shares, each with the environment variable that stands in for it. */
export interface CommonFlags {
  redis: string;
  prefix: string;
  logLevel: string;
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

const env = process.env;

export function integer(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number, got "${value}"`);
    return n;
  };
}

export function addLayerFlags(command: Command, redis: boolean): Command {
  if (redis) {
    command
      .option('--redis <url>', 'Redis URL (env REDIS_URL)', env.REDIS_URL ?? 'redis://127.0.0.1:6379')
      .option('--prefix <prefix>', 'key prefix of the channel layer (env SWITCHYARD_PREFIX)', env.SWITCHYARD_PREFIX ?? 'switchyard');
  }
  return command.option('--log-level <level>', 'trace, debug, info, warn, error (env SWITCHYARD_LOG_LEVEL)', env.SWITCHYARD_LOG_LEVEL ?? 'info');
}

export function addServerFlags(command: Command): Command {
  return command
    .option('--host <host>', 'address to listen on (env HOST)', env.HOST ?? '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on (env PORT)', integer('--port'), Number(env.PORT ?? 8000))
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS with HTTP/2 (env SWITCHYARD_TLS_CERT)', env.SWITCHYARD_TLS_CERT)
    .option('--tls-key <file>', 'PEM private key (env SWITCHYARD_TLS_KEY)', env.SWITCHYARD_TLS_KEY)
    .option('--response-timeout <ms>', 'answer 504 when no worker starts a response in time (env SWITCHYARD_RESPONSE_TIMEOUT_MS)', integer('--response-timeout'), Number(env.SWITCHYARD_RESPONSE_TIMEOUT_MS ?? 30_000))
    .option('--shutdown-timeout <ms>', 'time in-flight requests get on shutdown (env SWITCHYARD_SHUTDOWN_TIMEOUT_MS)', integer('--shutdown-timeout'), Number(env.SWITCHYARD_SHUTDOWN_TIMEOUT_MS ?? 10_000));
}

export function addWorkerFlags(command: Command): Command {
  return command
    .option('-c, --concurrency <n>', 'consumers run at once (env SWITCHYARD_CONCURRENCY)', integer('--concurrency'), Number(env.SWITCHYARD_CONCURRENCY ?? 64))
    .option('--timeout <ms>', 'longest a consumer may run (env SWITCHYARD_TIMEOUT_MS)', integer('--timeout'), Number(env.SWITCHYARD_TIMEOUT_MS ?? 30_000))
    .option('--drain-timeout <ms>', 'on SIGTERM, time running consumers get to finish (env SWITCHYARD_DRAIN_TIMEOUT_MS)', integer('--drain-timeout'), Number(env.SWITCHYARD_DRAIN_TIMEOUT_MS ?? 30_000));
}

export function logger(level: string, name: string): Logger {
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
