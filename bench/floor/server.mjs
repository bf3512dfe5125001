// The floor of the hop (issue 12): the least an interface server can do per request through
// Redis. node:http, the requests of one event-loop turn packed (msgpack) into ONE list element,
// one blocking pop of the replies. No validation, logging, metrics, deadlines or flow control.
// Not part of switchyard: a yardstick for what its own per-message machinery costs.
//
// With --checked it adds only what issue 12 says may not be traded away, done the cheapest way:
// the request goes as a full `http.request` message, every reply passes switchyard's own zod
// schema (parseWorkerToServer), and the server's two per-request histograms and its request
// counter are kept with prom-client (children bound once), as `serve` does with metrics on.
import http from 'node:http';
import { Redis } from 'ioredis';
import { pack, unpack } from 'msgpackr';
import { requestMessage, serverMetrics } from './checked.mjs';
import { parseWorkerToServer } from '../../dist/schemas/index.js';

const [port, redisPort] = process.argv.slice(2, 4).map(Number);
const checked = process.argv.includes('--checked');
const commands = new Redis(redisPort);
const replies = new Redis(redisPort);
const waiting = new Map();
let nextId = 0;
let batch = [];

const metrics = serverMetrics();

function flush() {
  const requests = batch;
  batch = [];
  void commands.rpush('floor:requests', pack(requests));
}

http
  .createServer((req, res) => {
    const id = nextId++;
    waiting.set(id, checked ? { res, at: performance.now() } : res);
    if (batch.length === 0) setImmediate(flush);
    batch.push(checked ? [id, requestMessage(req, String(id))] : [id, req.method, req.url, req.headers]);
  })
  .listen(port, '127.0.0.1', () => console.log(`floor server on 127.0.0.1:${port}${checked ? ' (checked)' : ''}`));

for (;;) {
  const [, elements] = await replies.blmpopBuffer(0, 1, 'floor:replies', 'LEFT', 'COUNT', 100);
  for (const element of elements) {
    for (const answer of unpack(element)) {
      const entry = waiting.get(answer[0]);
      waiting.delete(answer[0]);
      if (!checked) {
        const [, status, headers, body] = answer;
        entry.writeHead(status, headers).end(body);
        continue;
      }
      const reply = parseWorkerToServer(answer[1]); // an http.response message
      const waited = (performance.now() - entry.at) / 1000;
      metrics.waited(waited);
      entry.res.writeHead(reply.status, reply.headers.flat()).end(reply.body);
      metrics.answered(waited);
    }
  }
}
