/** 6. WebSocket handshakes per second: 50 openers, each closing its connection once open and opening the next. */
import { Client } from '../client-api.js';
import { CONNECTIONS, SIZE } from '../config.js';
import { withCpu } from '../procstat.js';
import { atLeast, fmt, type Scenario } from '../scenario.js';

export const connects: Scenario = {
  name: `6. WebSocket connects, ${CONNECTIONS} concurrent openers, ${SIZE.connectsS} s (/ws/echo; open → close → next)`,
  plainMode: 'http',
  metrics: [
    { key: 'cps', label: 'connections/s', format: fmt.rate, goal: atLeast(0.6) },
    { key: 'failed', label: 'failed handshakes', format: fmt.count, noRatio: true },
  ],
  async run(target) {
    const client = await Client.start();
    try {
      const { result, cpu } = await withCpu({ ...target.pids, client: client.pid }, () =>
        client.request(
          { cmd: 'connects', url: `${target.wsUrl}/ws/echo`, concurrency: CONNECTIONS, warmupMs: SIZE.warmupS * 1000, durationMs: SIZE.connectsS * 1000 },
          'connects',
          (SIZE.warmupS + SIZE.connectsS) * 1000 + 60_000,
        ),
      );
      const notes = result.failed > 0 ? [`FAILED: ${result.failed} handshakes: ${result.errors.join('; ')}`] : [];
      return { values: { cps: result.completed / result.seconds, failed: result.failed }, cpu, notes: [...notes, ...target.problems()] };
    } finally {
      await client.stop();
    }
  },
};
