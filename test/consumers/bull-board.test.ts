import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import express from 'express';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp, fromNode } from '../../consumers/index.js';
import { HttpCommunicator, TestBed } from '../../consumers/testing/index.js';
import { RedisServer } from '../helpers/redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis.stop();
});

/** The README's bull-board recipe, as written there, through the Node adapter. */
it('serves bull-board for durable channel queues through fromNode', async () => {
  const board = new ExpressAdapter();
  board.setBasePath('/admin/queues');
  const connection = { url: redis.url };
  const queue = new Queue('thumbnails', { connection, prefix: 'switchyard:durable' });
  await queue.add('thumbnail.make', { image: 'cat.png' });
  createBullBoard({ queues: [new BullMQAdapter(queue)], serverAdapter: board });
  const admin = express();
  admin.use('/admin/queues', board.getRouter());
  const bed = new TestBed(createApp().all('/admin/queues/*', fromNode(admin)));
  try {
    const http = new HttpCommunicator(bed);
    const page = await http.get('/admin/queues/');
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const api = await http.get('/admin/queues/api/queues?activeQueue=thumbnails&page=1&jobsPerPage=10');
    const queues = api.json<{ queues: { name: string; counts: { waiting: number } }[] }>().queues;
    expect(queues.map((q) => [q.name, q.counts.waiting])).toEqual([['thumbnails', 1]]);
  } finally {
    await bed.close();
    await queue.close();
  }
});
