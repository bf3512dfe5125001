/** 2. h2c (HTTP/2 prior knowledge) `GET /hello` with h2load (or the Node client), one stream in flight per connection. */
import { CONNECTIONS, SIZE, THREADS } from '../config.js';
import { checkH2c } from '../preflight.js';
import { withCpu } from '../procstat.js';
import { atLeast, fmt, type Scenario } from '../scenario.js';
import { KINDS } from '../targets.js';
import { h2Load, has } from '../tools.js';

export const h2c: Scenario = {
  name: `2. h2c GET /hello, ${CONNECTIONS} conns × 1 stream, ${SIZE.httpS} s (${has('h2load') ? `h2load -t${THREADS}; p50/p99 from its per-request log` : 'Node client: h2load not installed'})`,
  plainMode: 'h2c',
  // Logging is a cost per request: these also run the quiet targets.
  kinds: KINDS,
  metrics: [
    { key: 'rps', label: 'requests/s', format: fmt.rate, goal: atLeast(0.5) },
    { key: 'p50', label: 'p50 (ms)', format: fmt.ms },
    { key: 'p99', label: 'p99 (ms)', format: fmt.ms },
  ],
  async run(target) {
    await checkH2c(`${target.url}/hello`, 'hello');
    const { result, cpu } = await withCpu(target.pids, (sampler) =>
      h2Load(
        `${target.url}/hello`,
        { connections: CONNECTIONS, threads: THREADS, seconds: SIZE.httpS, onSpawn: (pid) => sampler.add('load', pid) },
        SIZE.warmupS,
      ),
    );
    return { values: { rps: result.requestsPerSecond, p50: result.p50, p99: result.p99 }, cpu, notes: [...result.problems, ...target.problems()] };
  },
};
