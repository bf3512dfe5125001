// The floor of `switchyard dev` (issue 12): server and worker in one process, as `dev` runs
// them, with only what may not be traded away: each request becomes a full `http.request`
// message checked with switchyard's zod schema (parseServerToWorker) before the "worker" runs;
// its answer is an `http.response` checked with parseWorkerToServer before the socket sees it;
// metrics kept with prom-client (children bound once). The requests of one event-loop turn go
// to the worker side together at the end of the turn, as a layer batch would. No copying of
// messages, deadlines, flow control, logs, routing or middleware.
import http from 'node:http';
import { requestMessage, serverMetrics } from './checked.mjs';
import { parseServerToWorker, parseWorkerToServer } from '../../dist/schemas/index.js';

const port = Number(process.argv[2]);
const metrics = serverMetrics();
const body = Buffer.from('hello');
let batch = [];

function work() {
  const requests = batch;
  batch = [];
  for (const { res, message, at } of requests) {
    parseServerToWorker(message);
    const reply = parseWorkerToServer({ type: 'http.response', status: 200, headers: [['content-type', 'text/plain'], ['content-length', String(body.length)]], body });
    const waited = (performance.now() - at) / 1000;
    metrics.waited(waited);
    res.writeHead(reply.status, reply.headers.flat()).end(reply.body);
    metrics.answered(waited);
  }
}

http
  .createServer((req, res) => {
    if (batch.length === 0) setImmediate(work);
    batch.push({ res, message: requestMessage(req, 'r'), at: performance.now() });
  })
  .listen(port, '127.0.0.1', () => console.log(`dev floor on 127.0.0.1:${port}`));
