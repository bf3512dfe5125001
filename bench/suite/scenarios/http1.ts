/**
 * 1. HTTP/1.1 `GET /hello` with wrk (or the Node client where wrk is not installed); during the
 * same measured run, 7. Redis commands per request (serve+worker only) and CPU per request.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CONNECTIONS, SIZE, THREADS } from '../config.js';
import { logLinesNote, perRequestNote } from '../per-request.js';
import { checkHttp1 } from '../preflight.js';
import { CpuWindow, withCpu } from '../procstat.js';
import { countCommands } from '../redis-cost.js';
import { atLeast, atMost, fmt, only, type Scenario } from '../scenario.js';
import { KINDS } from '../targets.js';
import { has, httpLoad } from '../tools.js';

const REDIS_ROW = '7. Redis commands per HTTP request (during 1, at load)';
const SETTLE_MS = 250;

export const http1: Scenario = {
  name: `1. HTTP/1.1 GET /hello, ${CONNECTIONS} conns, ${SIZE.httpS} s (${has('wrk') ? `wrk -t${THREADS}` : 'Node client: wrk not installed'})`,
  plainMode: 'http',
  // Logging is a cost per request: these also run the quiet targets.
  kinds: KINDS,
  metrics: [
    { key: 'rps', label: 'requests/s', format: fmt.rate, goal: atLeast(0.5) },
    { key: 'p50', label: 'p50 (ms)', format: fmt.ms },
    { key: 'p99', label: 'p99 (ms)', format: fmt.ms, goal: only(['dev'], atMost(5)) },
    {
      key: 'socketErrors',
      label: 'socket errors (wrk: connect + read + write + timeout)',
      format: fmt.count,
      noRatio: true,
      goal: only(['dev'], { text: '= 0', on: 'value', met: (n) => n === 0 }),
    },
    // Ratio: a multiple of plain Node's µs per request in the same run.
    { key: 'cpuServer', label: 'server process CPU per request (µs; serve / dev / plain node)', format: fmt.us, goal: atMost(1.6) },
    { key: 'cpuWorker', label: "worker process CPU per request (µs; ratio to plain Node's process)", format: fmt.us, kinds: ['serve'], ratioTo: 'cpuServer', goal: atMost(1.5) },
    {
      key: 'redisTopLevel',
      scenario: REDIS_ROW,
      label: 'top-level commands (≈ round trips; pipelined ones counted each)',
      format: fmt.perRequest,
      kinds: ['serve'],
      defaultsOnly: true,
      goal: { text: '≤ 0.25', on: 'value', met: (n) => n <= 0.25 },
    },
    { key: 'redisTotal', scenario: REDIS_ROW, label: 'all commands, incl. those inside Lua', format: fmt.perRequest, kinds: ['serve'], defaultsOnly: true },
  ],
  async run(target, { redis }) {
    const url = `${target.url}/hello`;
    const load = { connections: CONNECTIONS, threads: THREADS };
    await checkHttp1(url, 'hello');
    await httpLoad(url, { ...load, seconds: SIZE.warmupS });
    // The warm-up's tail (requests cut at its end, the GC it left) done before the CPU window opens.
    await sleep(SETTLE_MS);
    const counting = target.kind === 'serve' ? await countCommands(redis.url) : undefined;
    // CPU per request: from the load tool's start to its end, the window its request count is
    // of (the sampler's own window is wider, and its figures are averages, not totals).
    const window = new CpuWindow(target.pids);
    const logLines = target.logLines();
    const { result, cpu } = await withCpu(target.pids, async (sampler) => {
      const onSpawn = (pid: number | undefined): void => {
        sampler.add('load', pid);
        window.start();
      };
      const result = await httpLoad(url, { ...load, seconds: SIZE.httpS, onSpawn });
      return { ...result, used: window.stop() };
    });
    const server = Object.keys(target.pids).find((name) => target.pids[name] === target.serverPid)!; // serve, dev or node
    const values: Record<string, number> = { rps: result.requestsPerSecond, p50: result.p50, p99: result.p99, socketErrors: result.socketErrors };
    if (result.used[server] !== undefined) values.cpuServer = result.used[server] / result.requests;
    if (result.used.worker !== undefined) values.cpuWorker = result.used.worker / result.requests;
    const notes = [...result.problems, perRequestNote(result.used, result.requests), ...logLinesNote(logLines, target.logLines(), result.requests), ...target.problems()];
    if (counting !== undefined) {
      const cost = await counting(result.requests);
      values.redisTopLevel = cost.topLevel;
      values.redisTotal = cost.total;
      notes.push(`Redis per request: ${cost.byCommand}`);
    }
    return { values, cpu, notes };
  },
};
