/**
 * The load generator used where wrk or h2load is not installed: `http1` (keep-alive
 * connections) or `h2c` (one HTTP/2 session per connection), each connection one request at a
 * time, run in its own process so it does not share an event loop with what it measures.
 *
 *     node-load.ts <http1|h2c> <url> <connections> <seconds> <warmup seconds>
 *
 * Sends its result ({ requests, requestsPerSecond, p50, p99, non2xx }) over IPC.
 */
import http from 'node:http';
import http2 from 'node:http2';
import { percentile } from '../stats.js';

const [mode, url, connectionsArg, secondsArg, warmupArg] = process.argv.slice(2) as [string, string, string, string, string];
const connections = Number(connectionsArg);

type Request = () => Promise<number>;

function http1Requests(): Request[] {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const one: Request = () =>
    new Promise((resolve, reject) => {
      http.get(url, { agent }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      }).once('error', reject);
    });
  return Array(connections).fill(one);
}

function h2cRequests(): Request[] {
  const { pathname, search } = new URL(url);
  return Array.from({ length: connections }, () => {
    const session = http2.connect(url);
    return () =>
      new Promise<number>((resolve, reject) => {
        const stream = session.request({ ':path': `${pathname}${search}` });
        let status = 0;
        stream.once('response', (headers) => (status = Number(headers[':status'])));
        stream.resume();
        stream.once('end', () => resolve(status));
        stream.once('error', reject);
      });
  });
}

async function main(): Promise<void> {
  const requests = mode === 'h2c' ? h2cRequests() : http1Requests();
  const latencies: number[] = [];
  let non2xx = 0;
  const warmupEnd = performance.now() + Number(warmupArg) * 1000;
  const end = warmupEnd + Number(secondsArg) * 1000;
  await Promise.all(
    requests.map(async (request) => {
      for (let started = performance.now(); started < end; started = performance.now()) {
        const status = await request();
        if (started < warmupEnd) continue;
        latencies.push(performance.now() - started);
        if (status < 200 || status > 299) non2xx++;
      }
    }),
  );
  const sorted = Float64Array.from(latencies).sort();
  process.send!({ requests: latencies.length, requestsPerSecond: latencies.length / Number(secondsArg), p50: percentile(sorted, 50), p99: percentile(sorted, 99), non2xx });
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
