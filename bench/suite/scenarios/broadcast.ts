/**
 * 4. Broadcast to the 1,000 members of one group. Members are connections to /ws/room held by
 * a client process. Under serve+worker each broadcast is `groupSend('room', …)` from a
 * RedisLayer of the suite's own (the CLI's prefix); under plain Node and dev, a control
 * connection of the client process sends it and the server (dev: a consumer) passes it on to
 * every member. Latency: the broadcast's send → the last member's receipt.
 */
import { RedisLayer } from '../../../channel-layer/index.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { percentile, spread } from '../../stats.js';
import { Client } from '../client-api.js';
import { broadcastText, now } from '../client-protocol.js';
import { BROADCAST_TIMEOUT_MS, BROADCAST_WARMUPS, OPEN_CONCURRENCY, SIZE } from '../config.js';
import { withCpu } from '../procstat.js';
import { atMost, fmt, type Scenario } from '../scenario.js';

export const broadcast: Scenario = {
  name: `4. WebSocket broadcast to ${SIZE.broadcastMembers.toLocaleString('en-US')} members of one group, ${SIZE.broadcasts} broadcasts (after ${BROADCAST_WARMUPS} unmeasured)`,
  plainMode: 'http',
  metrics: [
    { key: 'p50', label: 'send → last receipt p50 (ms)', format: fmt.ms, goal: atMost(1.5) },
    { key: 'p99', label: 'send → last receipt p99 (ms)', format: fmt.ms },
    {
      key: 'losses',
      label: `losses: receipts missing after ${BROADCAST_TIMEOUT_MS / 1000} s (of ${SIZE.broadcasts} × members)`,
      format: fmt.count,
      noRatio: true,
    },
  ],
  async run(target, { redis }) {
    const client = await Client.start();
    let layer: RedisLayer | undefined;
    try {
      const opened = await client.request({ cmd: 'open', url: `${target.wsUrl}/ws/room`, count: SIZE.broadcastMembers, concurrency: OPEN_CONCURRENCY }, 'opened', 120_000);
      const notes: string[] = [];
      if (opened.failed > 0) notes.push(`${opened.failed} of ${SIZE.broadcastMembers} members failed to connect: ${opened.errors.join('; ')}`);
      if (target.prefix !== undefined) {
        layer = new RedisLayer({ url: redis.url, prefix: target.prefix! });
        await layer.waitUntilReady(5_000);
      } else {
        await client.request({ cmd: 'control', url: `${target.wsUrl}/ws/control` }, 'controlReady', 15_000);
      }
      const send = async (id: number) => {
        if (layer !== undefined) await layer.groupSend('room', { type: 'websocket.send', text: broadcastText(id, now()) });
        return client.request({ cmd: 'broadcast', id, send: layer === undefined, timeoutMs: BROADCAST_TIMEOUT_MS }, 'broadcast', BROADCAST_TIMEOUT_MS + 15_000);
      };
      for (let id = 0; id < BROADCAST_WARMUPS; id++) await send(id);
      const { result: answers, cpu } = await withCpu({ ...target.pids, client: client.pid }, async () => {
        const answers: Awaited<ReturnType<typeof send>>[] = [];
        for (let id = BROADCAST_WARMUPS; id < BROADCAST_WARMUPS + SIZE.broadcasts; id++) {
          answers.push(await send(id));
          await sleep(20);
        }
        return answers;
      });
      // "Send → last receipt" only means something for a broadcast every member got.
      const complete = answers.filter((answer) => answer.received === SIZE.broadcastMembers).map((answer) => answer.lastMs!);
      const losses = answers.reduce((sum, answer) => sum + SIZE.broadcastMembers - answer.received, 0);
      const values: Record<string, number> = { losses };
      if (complete.length > 0) {
        const sorted = complete.sort((a, b) => a - b);
        values.p50 = percentile(sorted, 50);
        values.p99 = percentile(sorted, 99);
      }
      if (losses > 0) {
        const partial = answers.flatMap((answer) => (answer.lastMs === undefined || answer.received === SIZE.broadcastMembers ? [] : [answer.lastMs]));
        const received = answers.map((answer) => answer.received);
        notes.push(
          `LOSSES: ${losses} of ${SIZE.broadcasts * SIZE.broadcastMembers} receipts missing; ${complete.length} of ${SIZE.broadcasts} broadcasts reached every member ` +
            `(latency cells are over those only); members reached per broadcast: ${Math.min(...received)}–${Math.max(...received)}` +
            (partial.length > 0 ? `; send → last receipt of the incomplete ones, median ${fmt.ms(spread(partial).median)} ms` : '') +
            `; members closed by the server, by close code: ${JSON.stringify(answers.at(-1)?.closedByServer ?? {})}`,
        );
      }
      return { values, cpu, notes: [...notes, ...target.problems()] };
    } finally {
      await layer?.close();
      await client.stop();
    }
  },
};
