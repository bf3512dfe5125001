/**
 * The README's testing guide, as written: groups across two communicators, a channel consumer
 * driven through the bed's layer, and a durable consumer on a Redis of the test's own.
 */
import { describe, expect, it } from 'vitest';
import { DurableAdmin, durableSender, RedisLayer, Worker } from '../../index.js';
import { createApp } from '../../consumers/index.js';
import { RedisServer } from '../helpers/redis-server.js';
import { TestBed, WebSocketCommunicator } from '../../consumers/testing/index.js';
import app from '../../examples/quickstart/app.js';

describe('the README testing guide', () => {
  it('two connections in one room hear each other', async () => {
    const bed = new TestBed(app);
    try {
      const alice = new WebSocketCommunicator(bed, '/ws/chat/lobby?name=alice');
      const bob = new WebSocketCommunicator(bed, '/ws/chat/lobby?name=bob');
      expect((await alice.connect()).accepted).toBe(true);
      expect((await bob.connect()).accepted).toBe(true);
      await alice.sendText('hi');
      expect(await bob.receive()).toEqual({ text: '{"from":"alice","text":"hi"}' });
      expect(await alice.receive()).toEqual({ text: '{"from":"alice","text":"hi"}' });
    } finally {
      await bed.close();
    }
  });

  it('a channel consumer runs on a message sent to the bed’s layer', async () => {
    const made: string[] = [];
    const thumbnails = createApp().channel('thumbnails', (message) => {
      made.push(String(message.image));
    });
    const bed = new TestBed(thumbnails);
    try {
      await bed.start();
      await bed.layer.send('thumbnails', { type: 'thumbnail.make', image: 'cat.png' });
      await expect.poll(() => made).toEqual(['cat.png']);
    } finally {
      await bed.close();
    }
  });

  it('a durable consumer runs on a Redis of the test’s own', async () => {
    const redis = await RedisServer.start();
    const made: string[] = [];
    const app = createApp().channel('thumbnails', (message) => void made.push(String(message.image)), { durable: { attempts: 1 } });
    try {
      const config = { url: redis.url, prefix: `test-${process.pid}` };
      const layer = new RedisLayer(config);
      const worker = new Worker(app, layer, { durable: config });
      await layer.waitUntilReady(5_000);
      await worker.start();
      const sender = durableSender(app, config);
      await sender.send('thumbnails', { type: 'thumbnail.make', image: 'cat.png' }, { jobId: 'thumb:cat' });
      const admin = new DurableAdmin(config);
      await expect.poll(async () => (await admin.counts('thumbnails')).completed).toBe(1);
      await Promise.all([worker.stop(), sender.close(), admin.close()]);
      await layer.close();
      expect(made).toEqual(['cat.png']);
    } finally {
      await redis.stop();
    }
  });
});
