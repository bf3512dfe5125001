// The floor's worker: pops batches of requests, answers each "hello", one element per batch.
// With --checked (see server.mjs) every request passes switchyard's zod schema
// (parseServerToWorker) and the answer is a full `http.response` message.
import { Redis } from 'ioredis';
import { pack, unpack } from 'msgpackr';
import { parseServerToWorker } from '../../dist/schemas/index.js';

const redisPort = Number(process.argv[2]);
const checked = process.argv.includes('--checked');
const commands = new Redis(redisPort);
const requests = new Redis(redisPort);
const body = Buffer.from('hello');
const headers = { 'content-type': 'text/plain' };

for (;;) {
  const [, elements] = await requests.blmpopBuffer(0, 1, 'floor:requests', 'LEFT', 'COUNT', 100);
  const answers = [];
  for (const element of elements) {
    for (const request of unpack(element)) {
      if (!checked) {
        answers.push([request[0], 200, headers, body]);
        continue;
      }
      parseServerToWorker(request[1]); // as a worker must before it runs anything
      const length = String(body.length);
      answers.push([request[0], { type: 'http.response', status: 200, headers: [['content-type', 'text/plain'], ['content-length', length]], body }]);
    }
  }
  void commands.rpush('floor:replies', pack(answers));
}
