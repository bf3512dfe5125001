import { Writable } from 'node:stream';
import { pino } from 'pino';
import { MemoryLayer, MemoryStore, RedisLayer, type ChannelLayer, type LayerOptionsInput } from '../../channel-layer/index.js';
import { InterfaceServer, type ServerOptionsInput } from '../../interface-server/index.js';
import type { RedisServer } from './redis-server.js';

export type LayerKind = 'memory' | 'redis';

/** One JSON log line of the server, as pino wrote it. */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface Harness {
  server: InterfaceServer;
  /** `http://127.0.0.1:PORT` (or https with TLS). */
  url: string;
  /** The layer the server uses, and a second one on the same backing for scripted workers. */
  serverLayer: ChannelLayer;
  workerLayer: ChannelLayer;
  /** Everything the server logged, parsed. */
  logs: LogLine[];
  close(): Promise<void>;
}

/**
 * A real interface server on a free loopback port, on a memory or Redis layer, with its log
 * lines captured. `redis` is required for the Redis kind; each harness uses its own prefix.
 */
export async function startServer(
  kind: LayerKind,
  options: ServerOptionsInput = {},
  { redis, layer = {} }: { redis?: RedisServer; layer?: LayerOptionsInput } = {},
): Promise<Harness> {
  let serverLayer: ChannelLayer;
  let workerLayer: ChannelLayer;
  if (kind === 'memory') {
    const store = new MemoryStore(layer.expiryMs ?? 60_000);
    serverLayer = new MemoryLayer({ ...layer, store, processName: 'server' });
    workerLayer = new MemoryLayer({ ...layer, store, processName: 'worker' });
  } else {
    if (redis === undefined) throw new Error('a Redis harness needs a RedisServer');
    const prefix = `srv-${Math.random().toString(36).slice(2, 10)}`;
    const server = new RedisLayer({ ...layer, url: redis.url, prefix, processName: 'server' });
    const worker = new RedisLayer({ ...layer, url: redis.url, prefix, processName: 'worker' });
    await Promise.all([server.waitUntilReady(), worker.waitUntilReady()]);
    serverLayer = server;
    workerLayer = worker;
  }
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const server = new InterfaceServer(serverLayer, { port: 0, logger: pino({ level: 'debug' }, sink), ...options });
  await server.listen();
  return {
    server,
    url: server.url,
    serverLayer,
    workerLayer,
    logs,
    async close() {
      await server.close();
      await Promise.all([serverLayer.close(), workerLayer.close()]);
    },
  };
}
