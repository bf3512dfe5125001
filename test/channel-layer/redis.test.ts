import { afterAll, beforeAll } from 'vitest';
import { RedisLayer } from '../../channel-layer/index.js';
import { RedisServer } from '../helpers/redis-server.js';
import { channelLayerContract, type LayerFactory } from './contract.js';
import { groupHistoryContract } from './history-contract.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.stop();
});

/** Layers on one fresh prefix of the file's server: each call another process. */
function namespace(): LayerFactory {
  const prefix = `test-${Math.random().toString(36).slice(2, 10)}`;
  return async (options = {}) => {
    const layer = new RedisLayer({ ...options, url: redis.url, prefix });
    await layer.waitUntilReady();
    return layer;
  };
}

channelLayerContract('redis', namespace);
groupHistoryContract('redis', namespace);
