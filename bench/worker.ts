/**
 * A producer or consumer process of the benchmark, forked by layer.ts:
 *
 *     worker.ts <producer|consumer> <baseline|layer> <redis url> <key prefix> <channel>
 *
 * It connects, says 'ready', then runs the phases it is told to run.
 */
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { RedisLayer, type WireMessage } from '../channel-layer/index.js';
import { decodeEnvelope, encodeEnvelope } from '../schemas/index.js';
import { benchMessage, now, type FromWorker, type Phase, type Role, type Scenario, type ToWorker } from './protocol.js';
import { percentile } from './stats.js';

/** What the producer and consumer loops need of a scenario. */
interface Transport {
  send(message: WireMessage): Promise<unknown>;
  /** Blocks until at least one message is there. */
  receive(): Promise<WireMessage[]>;
}

/**
 * Raw ioredis, one LPUSH per message and one BRPOP per message, no auto-pipelining. It sends
 * the very bytes the layer would (the layer's envelope, to a key of the layer's layout), so
 * the two differ only in how they talk to Redis.
 */
async function baseline(url: string, prefix: string, channel: string): Promise<Transport> {
  const key = `${prefix}:ch:{${channel}}`;
  const redis = new Redis(url, { enableAutoPipelining: false });
  await once(redis, 'ready');
  return {
    send: (message) => redis.lpush(key, encodeEnvelope(channel, message)),
    receive: async () => {
      const [, envelope] = (await redis.brpopBuffer(key, 0))!;
      return [decodeEnvelope(envelope).message];
    },
  };
}

async function layer(url: string, prefix: string, channel: string): Promise<Transport> {
  // The default capacity (100) would reject sends long before the window of 1,000 fills.
  const layer = new RedisLayer({ url, prefix, capacity: 1_000_000, expiryMs: 60_000 });
  await layer.waitUntilReady();
  return {
    send: (message) => layer.send(channel, message),
    receive: async () => (await layer.receive([channel], { max: 100 })).map((delivery) => delivery.message),
  };
}

/** Messages the consumer has reported received in the current phase. */
let acked = 0;
let onAck: (() => void) | undefined;

/**
 * Sends without awaiting each send, so the layer can coalesce a turn's sends into one script
 * call, but never runs more than `window` messages ahead of the consumer.
 */
async function produce(transport: Transport, { count, window }: Phase): Promise<FromWorker> {
  acked = 0;
  const startedAt = now();
  const sends: Promise<unknown>[] = [];
  for (let sent = 0; sent < count; ) {
    for (; sent < count && sent - acked < window; sent++) sends.push(transport.send(benchMessage()).catch(fail));
    if (sent < count) await new Promise<void>((resolve) => (onAck = resolve));
  }
  await Promise.all(sends);
  return { kind: 'produced', startedAt };
}

async function consume(transport: Transport, { count, ackEvery }: Phase): Promise<FromWorker> {
  const latencies = new Float64Array(count);
  let received = 0;
  let reported = 0;
  let lastAt = 0;
  while (received < count) {
    const messages = await transport.receive();
    lastAt = now();
    if (received + messages.length > count) throw new Error(`received ${received + messages.length} of ${count} messages sent`);
    for (const message of messages) latencies[received++] = lastAt - (message.t as number);
    if (received - reported >= ackEvery) {
      tell({ kind: 'acked', received });
      reported = received;
    }
  }
  latencies.sort();
  return { kind: 'consumed', lastAt, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

function tell(message: FromWorker): void {
  process.send!(message);
}

function fail(error: unknown): never {
  console.error(error);
  process.exit(1);
}

async function main(): Promise<void> {
  const [role, scenario, url, prefix, channel] = process.argv.slice(2) as [Role, Scenario, string, string, string];
  const transport = await (scenario === 'layer' ? layer : baseline)(url, prefix, channel);
  process.on('disconnect', () => process.exit(1)); // the orchestrator is gone
  // IPC keeps order: a phase's last acks reach the producer before the next phase's 'run'.
  process.on('message', (message: ToWorker) => {
    if (message.kind === 'acked') {
      acked = message.received;
      onAck?.();
    } else if (message.kind === 'run') {
      (role === 'producer' ? produce : consume)(transport, message.phase).then(tell, fail);
    } else {
      process.exit(0); // nothing is in flight between phases; the sockets close with the process
    }
  });
  tell({ kind: 'ready' });
}

main().catch(fail);
