/**
 * 5. Memory per idle WebSocket connection: VmRSS of the process holding the sockets (plain
 * server, `serve`, `dev`) before and after the connections open, each read after a settle
 * (SIZE.settleMs).
 * Another process cannot be made to collect garbage, so this is RSS, not heap.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '../client-api.js';
import { OPEN_CONCURRENCY, SIZE } from '../config.js';
import { rss, withCpu } from '../procstat.js';
import { atMost, fmt, type Scenario } from '../scenario.js';

const WARMUP_CONNECTIONS = 100;

export const idle: Scenario = {
  name: `5. ${SIZE.idleConnections.toLocaleString('en-US')} idle WebSocket connections (/ws/echo)`,
  plainMode: 'http',
  metrics: [
    { key: 'perConnection', label: 'server RSS per connection (Δ VmRSS ÷ connections)', format: fmt.kib, goal: atMost(1.5) },
    { key: 'rssBefore', label: 'server RSS before (MiB)', format: (n) => (n / 1024 / 1024).toFixed(0) },
  ],
  async run(target) {
    const client = await Client.start();
    try {
      const url = `${target.wsUrl}/ws/echo`;
      // Every code path has run once before the first reading.
      await client.request({ cmd: 'open', url, count: WARMUP_CONNECTIONS, concurrency: OPEN_CONCURRENCY }, 'opened', 60_000);
      await client.request({ cmd: 'closeAll' }, 'closed', 30_000);
      await sleep(SIZE.settleMs);
      const before = rss(target.serverPid);
      const { result: opened, cpu } = await withCpu({ ...target.pids, client: client.pid }, () =>
        client.request({ cmd: 'open', url, count: SIZE.idleConnections, concurrency: OPEN_CONCURRENCY }, 'opened', 150_000),
      );
      await sleep(SIZE.settleMs);
      const after = rss(target.serverPid);
      const notes = [`${opened.open} connections; server VmRSS ${mib(before)} → ${mib(after)} MiB`];
      if (opened.failed > 0) notes.push(`FAILED: ${opened.failed} of ${SIZE.idleConnections} did not connect: ${opened.errors.join('; ')}`);
      if (opened.open === 0) throw new Error(`no connection opened: ${opened.errors.join('; ')}`);
      notes.push(...target.problems());
      return { values: { perConnection: (after - before) / opened.open, rssBefore: before }, cpu, notes };
    } finally {
      await client.stop();
    }
  },
};

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
