/**
 * The channel layer on its own, on the embedded in-memory layer (no Redis needed):
 * a "worker" answers requests from a shared channel, a "server" sends requests with its
 * process-specific reply channel, and a group fans a message out to two members.
 *
 *   npm start                          # in memory
 *   REDIS_URL=redis://127.0.0.1:6379 npm start   # the same over Redis
 */
import { MemoryLayer, MemoryStore, RedisLayer, type ChannelLayer } from '../../channel-layer/index.js';

async function layers(): Promise<[server: ChannelLayer, worker: ChannelLayer]> {
  const url = process.env.REDIS_URL;
  if (url) {
    const made: [RedisLayer, RedisLayer] = [new RedisLayer({ url, processName: 'server' }), new RedisLayer({ url, processName: 'worker' })];
    await Promise.all(made.map((layer) => layer.waitUntilReady()));
    return made;
  }
  const store = new MemoryStore(60_000); // two layers on one store play two processes
  return [new MemoryLayer({ store, processName: 'server' }), new MemoryLayer({ store, processName: 'worker' })];
}

async function worker(layer: ChannelLayer, stop: AbortSignal): Promise<void> {
  while (!stop.aborted) {
    const batch = await layer.receive(['greetings'], { max: 10, signal: stop }).catch(() => []);
    for (const { message } of batch) {
      await layer.send(message.reply_channel as string, { type: 'greeting.reply', text: `hello, ${String(message.name)}` });
    }
  }
}

async function main(): Promise<void> {
  const [server, workerLayer] = await layers();
  const stop = new AbortController();
  const running = worker(workerLayer, stop.signal);

  const replies = await server.newChannel('replies');
  for (const name of ['Ada', 'Grace', 'Linus']) {
    const started = performance.now();
    await server.send('greetings', { type: 'greeting', name, reply_channel: replies });
    const [reply] = await server.receive([replies]);
    console.log(`${String(reply?.message.text).padEnd(16)} round trip ${(performance.now() - started).toFixed(2)} ms`);
  }

  const alice = await server.newChannel('alice');
  const bob = await server.newChannel('bob');
  await workerLayer.groupAdd('room', alice); // a worker adds connections the server holds
  await workerLayer.groupAdd('room', bob);
  await workerLayer.groupSend('room', { type: 'chat.message', text: 'hi, room' });
  for (const member of [alice, bob]) {
    const [delivery] = await server.receive([member]);
    console.log(`${member.split('!')[1]} got ${JSON.stringify(delivery?.message)}`);
  }
  console.log(`room has ${await server.groupSize('room')} members`);

  stop.abort();
  await running;
  await Promise.all([server.close(), workerLayer.close()]);
}

await main();
