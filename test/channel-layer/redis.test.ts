import { afterAll, beforeAll } from 'vitest';
import { RedisLayer } from '../../channel-layer/index.js';
import { RedisServer } from '../helpers/redis-server.js';
import { channelLayerContract } from './contract.js';
import { groupHistoryContract } from './history-contract.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});

channelLayerContract('redis', () => {
  const prefix = `test-${Math.random().toString(36).slice(2, 10)}`;
  return async (options = {}) => {
    const layer = new RedisLayer({ ...options, url: redis.url, prefix });
    await layer.waitUntilReady();
    return layer;
  };
});

groupHistoryContract('redis', () => {
  const prefix = `test-${Math.random().toString(36).slice(2, 10)}`;
  return async (options = {}) => {
    const layer = new RedisLayer({ ...options, url: redis.url, prefix });
    await layer.waitUntilReady();
    return layer;
  };
});
