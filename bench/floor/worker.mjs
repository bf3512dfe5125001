// The floor's worker: pops batches of requests, answers each "hello", one element per batch.
import { Redis } from 'ioredis';
import { pack, unpack } from 'msgpackr';

const redisPort = Number(process.argv[2]);
const commands = new Redis(redisPort);
const requests = new Redis(redisPort);
const body = Buffer.from('hello');
const headers = { 'content-type': 'text/plain' };

for (;;) {
  const [, elements] = await requests.blmpopBuffer(0, 1, 'floor:requests', 'LEFT', 'COUNT', 100);
  const answers = [];
  for (const element of elements) for (const [id] of unpack(element)) answers.push([id, 200, headers, body]);
  void commands.rpush('floor:replies', pack(answers));
}
