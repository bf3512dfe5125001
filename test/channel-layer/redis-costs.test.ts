import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisLayer, type Delivery } from '../../channel-layer/index.js';
import { callsBetween, commandCalls, total } from '../helpers/commandstats.js';
import { RedisServer } from '../helpers/redis-server.js';

/** Commands the client sends itself; the rest in commandstats run inside Lua scripts. */
const ROUND_TRIPS = ['evalsha', 'eval', 'blmpop', 'lpush', 'zadd', 'zrem', 'zrange', 'zmscore', 'client|unblock', 'client|id'];

/** ioredis sends EVALSHA, and EVAL once when Redis does not know the script yet. */
function scriptCalls(calls: Map<string, number>): number {
  return (calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0);
}

describe('redis layer costs', () => {
  let redis: RedisServer;
  let prefix: string;
  const layers: RedisLayer[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  beforeEach(() => {
    prefix = `costs-${Math.random().toString(36).slice(2, 10)}`;
  });
  afterAll(async () => {
    await Promise.all(layers.map((l) => l.close()));
    await redis.stop();
  });

  async function layer(options = {}): Promise<RedisLayer> {
    const made = new RedisLayer({ url: redis.url, prefix, ...options });
    layers.push(made);
    await made.waitUntilReady();
    return made;
  }

  it('sends to a group of 1,000 members held by 2 processes with a handful of commands', async () => {
    const holders = [await layer({ capacity: 1000 }), await layer({ capacity: 1000 })];
    const members = await Promise.all(holders.map((h) => Promise.all([...Array(500)].map(() => h.newChannel()))));
    for (const [i, holder] of holders.entries()) for (const member of members[i]!) await holder.groupAdd('big', member);
    await new Promise((r) => setTimeout(r, 50));

    const before = await commandCalls(redis.url);
    await holders[0]!.groupSend('big', { type: 'fanout', n: 1 });
    const got = await Promise.all(
      holders.map(async (holder, i) => {
        const deliveries: Delivery[] = [];
        for (const member of members[i]!) deliveries.push(...(await holder.receive([member])));
        return deliveries;
      }),
    );
    const calls = callsBetween(before, await commandCalls(redis.url));

    expect(got.map((d) => d.length)).toEqual([500, 500]);
    expect(got.flat().every((d) => d.message.type === 'fanout')).toBe(true);
    // The members (ZRANGE), their processes' heartbeats (one ZMSCORE), one send script per
    // holder (its RPUSH and PEXPIRE) and one inbox pop per holder: O(processes), where one
    // command per member would be 1,000+.
    expect([calls.get('zrange'), calls.get('zmscore')]).toEqual([1, 1]);
    expect(scriptCalls(calls)).toBe(2);
    expect(calls.get('rpush')).toBe(2);
    expect(total(calls)).toBeLessThanOrEqual(12);
  });

  it("looks up a group's members once for a burst of sends to it", async () => {
    const holder = await layer({ capacity: 1000 });
    const member = await holder.newChannel();
    await holder.groupAdd('burst', member);
    const sender = await layer();
    const before = await commandCalls(redis.url);
    await Promise.all([...Array(200).keys()].map((i) => sender.groupSend('burst', { type: 'b', i })));
    const calls = callsBetween(before, await commandCalls(redis.url));
    expect([calls.get('zrange'), calls.get('zmscore')]).toEqual([1, 1]);
    const got: Delivery[] = [];
    while (got.length < 200) got.push(...(await holder.receive([member], { max: 200 })));
    expect(got.map((d) => d.message.i)).toEqual([...Array(200).keys()]);
  });

  it('costs well under one round trip per message on each side at load', async () => {
    const sender = await layer({ capacity: 10_000 });
    const receiver = await layer({ capacity: 10_000 });
    const count = 5000;
    const before = await commandCalls(redis.url);
    const sending = [];
    for (let i = 0; i < count; i++) {
      sending.push(sender.send('load', { type: 'm', i }));
      if (i % 500 === 499) await new Promise((r) => setImmediate(r)); // ten turns of 500 sends
    }
    await Promise.all(sending);
    const received: number[] = [];
    while (received.length < count) {
      for (const d of await receiver.receive(['load'], { max: 500 })) received.push(d.message.i as number);
    }
    const calls = callsBetween(before, await commandCalls(redis.url));

    expect(received).toEqual([...Array(count).keys()]);
    const roundTrips = total(calls, ROUND_TRIPS);
    expect(scriptCalls(calls)).toBe(10);
    expect(roundTrips / count).toBeLessThan(0.05);
  });
});
