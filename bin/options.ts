import { readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { describeTarget, LayerUnavailable, type RedisTarget } from '../channel-layer/index.js';
import { SettingError } from './config/load.js';

/**
 * JSON lines for log pipelines, or (`pretty`, the default of `dev`) one readable line per
 * entry (see ReadableLines).
 *
 * The access lines (one per request, one per WebSocket session) are gathered and written to
 * stdout at least every LOG_FLUSH_MS, or once LOG_BATCH_BYTES have piled up: a loaded server
 * logs a line per request, and one write each (a thread-pool hop and a wake-up of the reader)
 * cost more than the request itself. Every other line (started, stopped, warnings, errors) is
 * rare and someone may be waiting for it (an orchestrator, an operator, a test): it goes out at
 * once, with whatever access lines were waiting before it. pino flushes what is left at exit.
 */
export function logger(level: string, name: string, format: string = 'json'): Logger {
  const destination = pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS });
  const readable = format === 'pretty' ? new ReadableLines(name, Boolean(process.stdout.isTTY)) : undefined;
  return pino(
    {
      name,
      level,
      hooks: {
        logMethod(args, write, lineLevel) {
          const access = isAccessLine(args, lineLevel);
          if (access && readable !== undefined) {
            destination.write(readable.access(this, args));
            return;
          }
          write.apply(this, args);
          if (!access) destination.flush();
        },
      },
    },
    readable === undefined ? destination : readable.into(destination),
  );
}

/**
 * `pretty`: pino-pretty's single-line format. Access lines, the one per request, are written
 * straight from the logger's arguments in that same format: pino-pretty would serialize each
 * to JSON, parse it back and format it, which costs more than the request it describes.
 */
export class ReadableLines {
  private readonly prettify: (line: string) => string;
  /** A logger's bindings, parsed once: pino re-parses them on every call. */
  private readonly bound = new WeakMap<object, Record<string, unknown>>();

  constructor(
    private readonly name: string,
    private readonly colorize: boolean,
  ) {
    this.prettify = prettyFactory({ colorize, singleLine: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' });
  }

  /** Every other line, formatted by pino-pretty as pino writes it (synchronously). */
  into(destination: { write(text: string): unknown }): { write(line: string): void } {
    return { write: (line) => void destination.write(this.prettify(line)) };
  }

  /** The access line `logger` is asked to write with `args`, as pino-pretty would format it. */
  access(logger: Logger, args: unknown[], now = new Date()): string {
    let bindings = this.bound.get(logger);
    if (bindings === undefined) this.bound.set(logger, (bindings = logger.bindings()));
    const { name = this.name, ...context } = bindings;
    const fields = typeof args[0] === 'object' && args[0] !== null ? { ...context, ...(args[0] as Record<string, unknown>) } : context;
    const message = String(typeof args[0] === 'string' ? args[0] : args[1]);
    const time = clockTime(now);
    const rest = JSON.stringify(fields);
    return this.colorize
      ? `[${time}] \x1b[32mINFO\x1b[39m (${String(name)}): \x1b[36m${message}\x1b[39m \x1b[90m${rest}\x1b[39m\n`
      : `[${time}] INFO (${String(name)}): ${message} ${rest}\n`;
  }
}

/** HH:MM:ss.l in local time, as pino-pretty's translateTime writes it. */
function clockTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_MS = 100;
const INFO = 30;
/** The messages of the interface server's access lines (interface-server/server.ts, websocket/session.ts). */
const ACCESS_MESSAGES = new Set(['request', 'websocket session']);

function isAccessLine(args: unknown[], level: number): boolean {
  if (level !== INFO) return false;
  const message = typeof args[0] === 'string' ? args[0] : args[1];
  return typeof message === 'string' && ACCESS_MESSAGES.has(message);
}

/** The TLS files a server was given (the settings check that there are both or neither). */
export function tlsFiles(cert: string | undefined, key: string | undefined): { cert: Buffer; key: Buffer } | undefined {
  if (cert === undefined || key === undefined) return undefined;
  return { cert: readFile(cert, 'server.tlsCert'), key: readFile(key, 'server.tlsKey') };
}

function readFile(file: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new SettingError(`invalid setting ${setting}: cannot read ${file}: ${(error as Error).message}`);
  }
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
export async function waitForRedis(layer: { waitUntilReady(ms: number): Promise<void> }, log: Logger, target: RedisTarget): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await layer.waitUntilReady(attempt === 0 ? 3_000 : 10_000);
      return;
    } catch (error) {
      if (!(error instanceof LayerUnavailable)) throw error; // a misconfiguration: waiting will not mend it
      log.warn({ redis: describeTarget(target), err: error }, 'waiting for Redis');
    }
  }
}
