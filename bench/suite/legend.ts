/** What the less obvious rows of the table mean: the first lines of the notes under it. */
export function legend(): string {
  return [
    '- **shipped defaults / `--log-level warn`**: the switchyard columns run the CLI as shipped (an info-level JSON access-log ' +
      'line per request on stdout, metrics on). Scenarios 1, 2 and 8 also run the same processes with `--log-level warn` ' +
      '(no access log) on rows of their own, against the same plain-Node runs (〃). Their stdout goes to a file, not a pipe the suite ' +
      'would wake for at every line; the suite reads it after measuring, keeping warnings and counting the other lines ' +
      '("log lines below warn per request" in the notes).',
    '- **socket errors** (1): what wrk reports as "Socket errors" (connect + read + write + timeout), summed; 0 when it reports none.',
    '- **CPU per request** (1): the process\'s CPU time (utime + stime from /proc, all its threads) from the load tool\'s start to ' +
      'its end, divided by the requests the tool completed in that window. "server process" is `serve`, `dev`, or plain Node\'s ' +
      'server; "worker process" is `worker` (serve+worker only). Ratio: a multiple of plain Node\'s server µs per request in the ' +
      'same run. Every process\'s figure, Redis\'s included, is in the notes.',
    '- **added p50** (8): one connection, one request at a time (wrk -t1 -c1), so the latency is the hop itself with no queueing: ' +
      'the target\'s p50 minus plain Node\'s p50 of the same run (wrk\'s percentile lines: to the µs below 0.85 ms, to 10 µs above); the cell is ' +
      'median (min–max) of those differences, the goal judged on its median.',
  ].join('\n');
}
