/**
 * A consumer sees the job id its sender chose (`ctx.locals.jobId`), even the ids BullMQ can
 * only store encoded (with ":", or all digits): idempotent effects key on that id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLayer } from '../../channel-layer/index.js';
import { createApp, durableSender, Worker } from '../../consumers/index.js';
import { RedisServer } from '../helpers/redis-server.js';
import { randomPrefix } from '../helpers/processes.js';

describe('durable job ids', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('ctx.locals.jobId is the id as sent; without one, BullMQ’s own', async () => {
    const config = { url: redis.url, prefix: randomPrefix('job-ids') };
    const seen: unknown[] = [];
    let expected = 4;
    let done!: () => void;
    const all = new Promise<void>((resolve) => (done = resolve));
    const app = createApp().channel(
      'thumbs',
      (_message, ctx) => {
        seen.push(ctx.locals.jobId);
        if (--expected === 0) done();
      },
      { durable: { attempts: 1 } },
    );
    const sender = durableSender(app, config);
    const layer = new RedisLayer({ url: redis.url, prefix: config.prefix });
    const worker = new Worker(app, layer, { durable: config });
    try {
      await layer.waitUntilReady(5_000);
      await worker.start();
      for (const jobId of ['thumb:42', '17', 'plain-id']) await sender.send('thumbs', { type: 'thumb' }, { jobId });
      const generated = await sender.send('thumbs', { type: 'thumb' });
      await all;
      expect(seen.sort()).toEqual(['17', 'plain-id', 'thumb:42', generated].sort());
    } finally {
      await worker.stop();
      await sender.close();
      await layer.close();
    }
  });
});
