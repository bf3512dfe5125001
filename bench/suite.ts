/**
 * The main benchmark suite: switchyard (serve + one worker on Redis, and dev) against plain Node
 * doing the same work with no hop, on this machine, in the same run.
 *
 *     npm run bench [-- --quick] [-- --only 1.,8.]
 *
 * Scenarios (bench/suite/scenarios/): HTTP/1.1 and h2c `GET /hello`, WebSocket echo, a
 * broadcast to 1,000 group members, memory per idle WebSocket, WebSocket connects/s, Redis
 * commands per HTTP request, and the latency added at one connection; then (9.) the same HTTP
 * load and a broadcast through a local 3-primary Redis Cluster beside one Redis, with the
 * busiest primary's share of the commands (bench/cluster/compare.ts); then (10.) a broadcast to a
 * group with history beside one without, and the time 1,000 clients take to be back after a
 * server restart (bench/history.ts). Every scenario starts its
 * own processes (bench/suite/targets.ts) and runs 3 times, interleaved with the other targets
 * (the order rotates run by run) so the machine's noise hits all alike; cells are median
 * (min–max), ratios are to plain Node, run by run. `--quick` does one short run of each.
 *
 * The switchyard processes run their shipped defaults (info-level JSON access log, metrics on);
 * the HTTP scenarios (1, 2, 8) also run them with `--log-level warn`, on rows of their own. Their
 * stdout goes to a file the suite reads after measuring (bench/suite/log-file.ts), not to a pipe
 * it would have to drain line by line while measuring.
 * Metrics beyond the obvious (bench/suite/legend.ts prints these under the table):
 *
 * - socket errors (1): wrk's "Socket errors", summed (a goal for dev: none)
 * - CPU per request (1): each process's CPU time from the load tool's start to its end ÷ the
 *   requests it completed then (server process: serve, dev or plain Node's; worker: serve+worker
 *   only), in µs and as a multiple of plain Node's µs per request in the same run
 * - added p50 (8): at one connection (wrk -t1 -c1), the target's p50 − plain Node's p50 of the
 *   same run, to the µs
 *
 * Prints the table to stdout (progress to stderr) and appends it to bench/RESULTS.md.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { RedisServer } from '../test/helpers/redis-server.js';
import { killEverything, withTimeout } from './suite/children.js';
import { QUICK, SCENARIO_TIMEOUT_MS, SIZE } from './suite/config.js';
import { codeStamp, environment } from './suite/environment.js';
import { legend } from './suite/legend.js';
import { formatCpu } from './suite/procstat.js';
import type { Context, RunResult, Scenario } from './suite/scenario.js';
import { compareCluster } from './cluster/compare.js';
import { compareHistory } from './history.js';
import { broadcast } from './suite/scenarios/broadcast.js';
import { connects } from './suite/scenarios/connects.js';
import { echo } from './suite/scenarios/echo.js';
import { h2c } from './suite/scenarios/h2c.js';
import { http1 } from './suite/scenarios/http1.js';
import { idle } from './suite/scenarios/idle.js';
import { latency } from './suite/scenarios/latency.js';
import { notes, table, type Results } from './suite/table.js';
import { DEFAULT_KINDS, KIND_LABEL, startTarget, type Kind, type Target } from './suite/targets.js';

const ALL_SCENARIOS: Scenario[] = [http1, h2c, echo, broadcast, idle, connects, latency];
/** `--only 3.,8.`: the scenarios whose names start with one of these (a partial run, for development: not appended to RESULTS.md). */
const ONLY = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : undefined;
const SCENARIOS = ONLY === undefined ? ALL_SCENARIOS : ALL_SCENARIOS.filter((scenario) => ONLY.some((prefix) => scenario.name.startsWith(prefix)));
const RESULTS_FILE = fileURLToPath(new URL('RESULTS.md', import.meta.url));
const CLUSTER_SECTION = '9. Redis Cluster (3 primaries) beside one Redis';
const RUN_CLUSTER = ONLY === undefined || ONLY.some((prefix) => CLUSTER_SECTION.startsWith(prefix));
const HISTORY_SECTION = '10. Group history: a broadcast with and without, and 1,000 clients back after a server restart';
const RUN_HISTORY = ONLY === undefined || ONLY.some((prefix) => HISTORY_SECTION.startsWith(prefix));

async function main(): Promise<number> {
  const started = Date.now();
  const code = codeStamp();
  const redisServer = await RedisServer.start();
  const admin = new Redis(redisServer.url);
  const interrupted = (signal: NodeJS.Signals): void => {
    console.error(`\n${signal}: stopping every process the suite started`);
    void killEverything()
      .then(() => redisServer.stop())
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const info = await admin.info('server');
    const redisVersion = /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown';
    const context: Context = { redis: { url: redisServer.url, pid: Number(/^process_id:(\d+)/m.exec(info)?.[1]) } };
    const results: Results = new Map(SCENARIOS.map((scenario) => [scenario, { plain: [], serve: [], dev: [], 'serve-quiet': [], 'dev-quiet': [] }]));
    for (let run = 1; run <= SIZE.runs; run++) {
      for (const scenario of SCENARIOS) {
        // Rotate who goes first, so no target always runs on a machine the last one warmed up.
        const kinds = scenario.kinds ?? DEFAULT_KINDS;
        const order = [...kinds.slice((run - 1) % kinds.length), ...kinds.slice(0, (run - 1) % kinds.length)];
        for (const kind of order) {
          console.error(`[run ${run}/${SIZE.runs}] ${scenario.name} — ${KIND_LABEL[kind]}`);
          const at = Date.now();
          const result = await runOne(scenario, kind, context);
          console.error(`    ${summary(scenario, result)} (${((Date.now() - at) / 1000).toFixed(1)} s; CPU: ${formatCpu(result.cpu)})`);
          results.get(scenario)![kind].push(result);
        }
      }
    }
    // Its own processes and Redis servers, after everything else: never two loads at once.
    const cluster = RUN_CLUSTER
      ? await compareCluster({ rounds: SIZE.runs, seconds: SIZE.httpS / 2, members: SIZE.broadcastMembers, broadcasts: SIZE.broadcasts }).catch((error: unknown) => {
          console.error(`    ${CLUSTER_SECTION} FAILED: ${String(error)}`);
          return `FAILED: ${error instanceof Error ? error.message : String(error)}`;
        })
      : undefined;
    const history = RUN_HISTORY
      ? await compareHistory({ rounds: SIZE.runs, members: SIZE.broadcastMembers }).catch((error: unknown) => {
          console.error(`    ${HISTORY_SECTION} FAILED: ${String(error)}`);
          return `FAILED: ${error instanceof Error ? error.message : String(error)}`;
        })
      : undefined;
    const minutes = ((Date.now() - started) / 60_000).toFixed(1);
    const section = [
      `## Main suite${QUICK ? ' (--quick: 1 short run each)' : ''}: ${new Date().toISOString().slice(0, 10)}`,
      '',
      ...environment(redisVersion, code, codeStamp()),
      `- ${SIZE.runs} run(s) per scenario and target, interleaved (the order rotates each run); each cell is median (min–max) ` +
        'over runs; ratio = switchyard ÷ plain Node run by run (for latency and memory, above 1 is worse); ✓/✗ against the ' +
        `issue's targets. Load generators and clients are separate processes on the same ${availableParallelism()}-core machine. ` +
        'Broadcasts: under serve+worker, groupSend from a RedisLayer of the suite (the CLI\'s prefix); under plain Node and dev, a ' +
        `control WebSocket of the client process whose messages the server (dev: a consumer) sends to the group. The switchyard ` +
        'columns are the shipped defaults, except on rows marked `--log-level warn`. ' +
        `Whole run: ${minutes} min.`,
      '',
      table(results),
      '',
      ...(cluster === undefined ? [] : [`### ${CLUSTER_SECTION}`, '', cluster, '']),
      ...(history === undefined ? [] : [`### ${HISTORY_SECTION}`, '', history, '']),
      '### Notes',
      '',
      legend(),
      notes(results),
      '',
    ].join('\n');
    console.log(section);
    if (ONLY === undefined) {
      if (!existsSync(RESULTS_FILE)) appendFileSync(RESULTS_FILE, '# Benchmark results\n\n`npm run bench` (bench/suite.ts) appends a section per run.\n\n');
      appendFileSync(RESULTS_FILE, `${section}\n`);
      console.error(`appended to ${RESULTS_FILE}`);
    }
    const failures = [...results.values()].flatMap((byKind) => Object.values(byKind).flat()).filter((run) => run.failed).length;
    if (failures > 0) console.error(`${failures} scenario run(s) FAILED: see the notes`);
    return failures > 0 ? 1 : 0;
  } finally {
    admin.disconnect();
    await killEverything();
    await redisServer.stop();
  }
}

/** One scenario on fresh processes of one target; a failure or timeout becomes a failed run, and every process is gone after. */
async function runOne(scenario: Scenario, kind: Kind, context: Context): Promise<RunResult> {
  let target: Target | undefined;
  try {
    target = await withTimeout(startTarget(kind, scenario.plainMode, context.redis), 60_000, `starting ${KIND_LABEL[kind]}`);
    return await withTimeout(scenario.run(target, context), SCENARIO_TIMEOUT_MS, scenario.name);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`    FAILED: ${message}`);
    return { values: {}, cpu: {}, notes: [`FAILED: ${message.slice(0, 2_000)}`, ...(target?.problems() ?? [])], failed: true };
  } finally {
    await target?.stop().catch(() => {});
    await killEverything();
  }
}

function summary(scenario: Scenario, result: RunResult): string {
  if (result.failed) return 'failed';
  // Derived rows (differences to plain Node) need the plain run: the table has them.
  return scenario.metrics
    .filter((metric) => !metric.minusPlain && result.values[metric.key] !== undefined)
    .map((metric) => `${metric.label.split(' (')[0]}: ${metric.format(result.values[metric.key]!)}`)
    .join(', ');
}

// Exit even if something still holds the event loop (a socket of a timed-out scenario).
process.exit(await main());
