/**
 * 1. HTTP/1.1 `GET /hello` with wrk (or the Node client where wrk is not installed), and 7.
 * Redis commands per request during the same measured run (serve+worker only).
 */
import { CONNECTIONS, SIZE, THREADS } from '../config.js';
import { checkHttp1 } from '../preflight.js';
import { withCpu } from '../procstat.js';
import { countCommands } from '../redis-cost.js';
import { atLeast, fmt, type Scenario } from '../scenario.js';
import { has, httpLoad } from '../tools.js';

const REDIS_ROW = '7. Redis commands per HTTP request (during 1, at load)';

export const http1: Scenario = {
  name: `1. HTTP/1.1 GET /hello, ${CONNECTIONS} conns, ${SIZE.httpS} s (${has('wrk') ? `wrk -t${THREADS}` : 'Node client: wrk not installed'})`,
  plainMode: 'http',
  metrics: [
    { key: 'rps', label: 'requests/s', format: fmt.rate, goal: atLeast(0.5) },
    { key: 'p50', label: 'p50 (ms)', format: fmt.ms },
    { key: 'p99', label: 'p99 (ms)', format: fmt.ms },
    {
      key: 'redisTopLevel',
      scenario: REDIS_ROW,
      label: 'top-level commands (≈ round trips; pipelined ones counted each)',
      format: fmt.perRequest,
      kinds: ['serve'],
      goal: { text: '≤ 1', on: 'value', met: (n) => n <= 1 },
    },
    {
      key: 'redisTotal',
      scenario: REDIS_ROW,
      label: 'all commands, incl. those inside Lua',
      format: fmt.perRequest,
      kinds: ['serve'],
      goal: { text: '≤ 1', on: 'value', met: (n) => n <= 1 },
    },
  ],
  async run(target, { redis }) {
    const url = `${target.url}/hello`;
    const load = { connections: CONNECTIONS, threads: THREADS };
    await checkHttp1(url, 'hello');
    await httpLoad(url, { ...load, seconds: SIZE.warmupS });
    const counting = target.kind === 'serve' ? await countCommands(redis.url) : undefined;
    const { result, cpu } = await withCpu(target.pids, (sampler) => httpLoad(url, { ...load, seconds: SIZE.httpS, onSpawn: (pid) => sampler.add('load', pid) }));
    const values: Record<string, number> = { rps: result.requestsPerSecond, p50: result.p50, p99: result.p99 };
    const notes = [...result.problems, ...target.problems()];
    if (counting !== undefined) {
      const cost = await counting(result.requests);
      values.redisTopLevel = cost.topLevel;
      values.redisTotal = cost.total;
      notes.push(`Redis per request: ${cost.byCommand}`);
    }
    return { values, cpu, notes };
  },
};
