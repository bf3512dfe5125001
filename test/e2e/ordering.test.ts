/**
 * One WebSocket connection's events are handled one at a time and in order, even with three
 * worker processes taking events from the same channel.
 */
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '../helpers/redis-server.js';
import { ROOT, killAll, randomPrefix, startServe, startWorker, waitForBlockedWorkers, type LayerEnv, type Listening, type SwitchyardProcess } from '../helpers/processes.js';
import { WsClient } from './ws-client.js';

const ORDER_APP = relative(ROOT, fileURLToPath(new URL('./apps/order-app.ts', import.meta.url)));

describe('one connection, three workers', () => {
  let redis: RedisServer;
  let server: Listening;
  let workers: SwitchyardProcess[];

  beforeAll(async () => {
    redis = await RedisServer.start();
    const layer: LayerEnv = { redisUrl: redis.url, prefix: randomPrefix('ordering') };
    [server, ...workers] = await Promise.all([
      startServe(ORDER_APP, layer),
      startWorker(ORDER_APP, layer),
      startWorker(ORDER_APP, layer),
      startWorker(ORDER_APP, layer),
    ]);
    await waitForBlockedWorkers(redis.url, 3);
  });

  afterAll(async () => {
    await killAll();
    await redis?.stop();
  });

  it('40 messages sent at once are handled one at a time, in order, by more than one worker', async () => {
    const client = await WsClient.open(`${server.wsUrl}/ws/order`);
    try {
      const count = 40;
      await Promise.all(Array.from({ length: count }, (_, i) => client.send(String(i + 1))));
      const replies = (await client.waitForMessages(count, 15_000)).map((m) => m.text.split(':'));
      // seq:counter:pid: replies in the order sent, and the counter (read, then written after a
      // random sleep) never lost an update, so no two events of the connection overlapped
      expect(replies.map(([seq, counter]) => `${seq}:${counter}`)).toEqual(Array.from({ length: count }, (_, i) => `${i + 1}:${i + 1}`));
      const pids = new Set(replies.map(([, , pid]) => Number(pid)));
      for (const pid of pids) expect(workers.map((w) => w.pid)).toContain(pid);
      expect(pids.size, `worker pids that took part: ${[...pids].join(', ')}`).toBeGreaterThanOrEqual(2);
    } finally {
      await client.close();
    }
  }, 30_000);
});
