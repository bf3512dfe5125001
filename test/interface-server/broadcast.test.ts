import { once } from 'node:events';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApp, Worker } from '../../consumers/index.js';
import { RedisServer } from '../helpers/redis-server.js';
import { startServer } from '../helpers/server-harness.js';

async function open(url: string): Promise<{ ws: WebSocket; frames: string[] }> {
  const ws = new WebSocket(url);
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(data.toString()));
  await once(ws, 'open');
  return { ws, frames };
}

describe.each(['memory', 'redis'] as const)('a broadcast that leaves the sender out, on the %s layer', (kind) => {
  it('reaches every member of the group but the ones named in except, written by the server itself', async () => {
    const redis = kind === 'redis' ? await RedisServer.start() : undefined;
    const app = createApp().websocket('/ws/room', {
      groups: ['room'],
      receive: (ctx, m) => ctx.broadcast('room', m.text!, { except: ctx }),
    });
    const harness = await startServer(kind, {}, { redis });
    const worker = new Worker(app, harness.workerLayer, { logger: pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() })) });
    await worker.start();
    try {
      const url = `${harness.url.replace('http', 'ws')}/ws/room`;
      const [alice, bob, carol] = [await open(url), await open(url), await open(url)];
      await expect.poll(async () => (await harness.workerLayer.groupMembers('room')).length).toBe(3);
      alice.ws.send('from alice');
      await expect.poll(() => [bob.frames, carol.frames]).toEqual([['from alice'], ['from alice']]);
      bob.ws.send('from bob');
      await expect.poll(() => alice.frames).toEqual(['from bob']);
      await expect.poll(() => carol.frames).toEqual(['from alice', 'from bob']);
      expect(bob.frames).toEqual(['from alice']); // never its own
      await Promise.all([alice, bob, carol].map(({ ws }) => (ws.close(), once(ws, 'close'))));
    } finally {
      await harness.close(); // before the worker: the connections' disconnect events still run
      await worker.stop();
      await redis?.stop();
    }
  });
});
