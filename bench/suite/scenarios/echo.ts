/** 3. WebSocket echo: ping-pong on 50 connections from a client process. */
import { Client } from '../client-api.js';
import { CONNECTIONS, ECHO_BYTES, SIZE } from '../config.js';
import { withCpu } from '../procstat.js';
import { atLeast, atMost, fmt, type Scenario } from '../scenario.js';

export const echo: Scenario = {
  name: `3. WebSocket echo, ${CONNECTIONS} conns, ${ECHO_BYTES}-byte text, ping-pong, ${SIZE.echoS} s`,
  plainMode: 'http',
  metrics: [
    { key: 'mps', label: 'messages/s (total)', format: fmt.rate, goal: atLeast(0.35) },
    { key: 'p50', label: 'round trip p50 (ms)', format: fmt.ms, goal: atMost(3) },
    { key: 'p99', label: 'round trip p99 (ms)', format: fmt.ms },
  ],
  async run(target) {
    const client = await Client.start();
    try {
      const { result, cpu } = await withCpu({ ...target.pids, client: client.pid }, () =>
        client.request(
          { cmd: 'echo', url: `${target.wsUrl}/ws/echo`, connections: CONNECTIONS, bytes: ECHO_BYTES, warmupMs: SIZE.warmupS * 1000, durationMs: SIZE.echoS * 1000 },
          'echo',
          (SIZE.warmupS + SIZE.echoS) * 1000 + 60_000,
        ),
      );
      const notes = [...result.errors.map((error) => `client: ${error}`), ...target.problems()];
      return { values: { mps: result.messages / result.seconds, p50: result.p50, p99: result.p99 }, cpu, notes };
    } finally {
      await client.stop();
    }
  },
};
