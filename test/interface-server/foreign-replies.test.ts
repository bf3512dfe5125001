import { Packr } from 'msgpackr';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisLayer } from '../../channel-layer/index.js';
import { RedisKeys } from '../../channel-layer/redis/keys.js';
import { PROTOCOL_VERSION } from '../../schemas/index.js';
import { startServer, type Harness } from '../helpers/server-harness.js';
import { RedisServer } from '../helpers/redis-server.js';

/**
 * Replies as a worker in another language would pack them, pushed by hand into a real server's
 * inbox: any MessagePack integer type is a number, and an envelope the server cannot read is
 * answered at once for the exchange it was for, not left to time out.
 */
const plain = new Packr({ useRecords: false, moreTypes: false });

/** MessagePack uint64 (0xcf), as encoders of other languages pack a large integer. */
function uint64(value: number): Buffer {
  const bytes = Buffer.alloc(9);
  bytes[0] = 0xcf;
  bytes.writeBigUInt64BE(BigInt(value), 1);
  return bytes;
}

describe('replies from a worker of another language', () => {
  let redis: RedisServer;
  let harness: Harness;
  let raw: Redis;
  beforeAll(async () => {
    redis = await RedisServer.start();
    // A long response timeout: an unread reply that was left to time out would fail the test by its own timeout.
    harness = await startServer('redis', { limits: { responseTimeoutMs: 120_000 } }, { redis });
    raw = new Redis(redis.url);
  });
  afterAll(async () => {
    raw?.disconnect();
    await harness?.close();
    await redis?.stop();
  });

  /** Takes the next request off the layer (as a worker) and pushes `envelope(reply_channel)` into the server's inbox. */
  async function answerWith(envelope: (replyChannel: string) => Buffer): Promise<Response> {
    const responding = fetch(`${harness.url}/foreign`);
    const [request] = await harness.workerLayer.receive(['http.request']);
    const replyChannel = request!.message.reply_channel as string;
    const prefix = (harness.serverLayer as RedisLayer).options.prefix;
    await raw.rpush(new RedisKeys(prefix).list(replyChannel), envelope(replyChannel));
    return responding;
  }

  it('reads times and sizes packed as 64-bit integers', async () => {
    const response = await answerWith((reply) =>
      Buffer.concat([
        Buffer.of(0x94),
        plain.pack(PROTOCOL_VERSION),
        uint64(Date.now()), // sentAt as uint64
        plain.pack(reply),
        plain.pack({ type: 'http.response', status: 201n, headers: [['content-type', 'text/plain']], body: Buffer.from('from afar') }), // status as int64
      ]),
    );
    expect(response.status).toBe(201);
    expect(await response.text()).toBe('from afar');
  });

  it('answers 500 at once for a reply it cannot read, and logs what was wrong and for whom', async () => {
    const before = harness.logs.length;
    const response = await answerWith((reply) => plain.pack([99, Date.now(), reply, { type: 'http.response', status: 200 }]));
    expect(response.status).toBe(500);
    await response.arrayBuffer();
    const lines = harness.logs.slice(before).map((line) => JSON.stringify(line));
    expect(lines.some((line) => line.includes('protocol version 99'))).toBe(true);
  });
});
