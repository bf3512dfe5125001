/**
 * 8. Added latency: HTTP/1.1 `GET /hello` on one connection, one request at a time, so each
 * request's time is the whole hop with no queueing behind others. "Added p50" is the target's
 * p50 minus plain Node's of the same run index (the rows are interleaved, so the two ran
 * minutes apart at most, on the same machine state).
 */
import { SIZE } from '../config.js';
import { logLinesNote } from '../per-request.js';
import { checkHttp1 } from '../preflight.js';
import { withCpu } from '../procstat.js';
import { addsAtMost, fmt, only, type Scenario } from '../scenario.js';
import { KINDS } from '../targets.js';
import { has, httpLoad } from '../tools.js';

export const latency: Scenario = {
  name: `8. Added latency: HTTP/1.1 GET /hello, 1 conn, ${SIZE.httpS} s (${has('wrk') ? 'wrk -t1 -c1 --latency' : 'Node client: wrk not installed'})`,
  plainMode: 'http',
  // Logging is a cost per request: these also run the quiet targets.
  kinds: KINDS,
  metrics: [
    { key: 'p50', label: 'p50 (ms)', format: fmt.msFine },
    { key: 'p99', label: 'p99 (ms)', format: fmt.msFine },
    { key: 'p50', label: "added p50 (ms): p50 − plain Node's p50, run by run", format: fmt.addedMs, minusPlain: true, goal: only(['serve'], addsAtMost(0.25, 'ms')) },
  ],
  async run(target) {
    const url = `${target.url}/hello`;
    const load = { connections: 1, threads: 1 };
    await checkHttp1(url, 'hello');
    await httpLoad(url, { ...load, seconds: SIZE.warmupS });
    const logLines = target.logLines();
    const { result, cpu } = await withCpu(target.pids, (sampler) => httpLoad(url, { ...load, seconds: SIZE.httpS, onSpawn: (pid) => sampler.add('load', pid) }));
    const notes = [...result.problems, `${result.requests.toLocaleString('en-US')} requests`, ...logLinesNote(logLines, target.logLines(), result.requests), ...target.problems()];
    return { values: { p50: result.p50, p99: result.p99 }, cpu, notes };
  },
};
