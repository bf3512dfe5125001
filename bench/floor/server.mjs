// The floor of the hop (issue 12): the least an interface server can do per request through
// Redis. node:http, the requests of one event-loop turn packed (msgpack) into ONE list element,
// one blocking pop of the replies. No validation, logging, metrics, deadlines or flow control.
// Not part of switchyard: a yardstick for what its own per-message machinery costs.
import http from 'node:http';
import { Redis } from 'ioredis';
import { pack, unpack } from 'msgpackr';

const [port, redisPort] = process.argv.slice(2).map(Number);
const commands = new Redis(redisPort);
const replies = new Redis(redisPort);
const waiting = new Map();
let nextId = 0;
let batch = [];

function flush() {
  const requests = batch;
  batch = [];
  void commands.rpush('floor:requests', pack(requests));
}

http
  .createServer((req, res) => {
    const id = nextId++;
    waiting.set(id, res);
    if (batch.length === 0) setImmediate(flush);
    batch.push([id, req.method, req.url, req.headers]);
  })
  .listen(port, '127.0.0.1', () => console.log(`floor server on 127.0.0.1:${port}`));

for (;;) {
  const [, elements] = await replies.blmpopBuffer(0, 1, 'floor:replies', 'LEFT', 'COUNT', 100);
  for (const element of elements) {
    for (const [id, status, headers, body] of unpack(element)) {
      const res = waiting.get(id);
      waiting.delete(id);
      res.writeHead(status, headers).end(body);
    }
  }
}
