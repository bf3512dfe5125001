import { afterAll, beforeAll } from 'vitest';
import { RedisLayer } from '../../channel-layer/index.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { channelLayerContract, type LayerFactory } from './contract.js';
import { groupHistoryContract } from './history-contract.js';

/** The Redis layer on a real Redis Cluster of the test's own (3 primaries, 3 replicas): the whole contract, and group history's, unchanged. */
let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

/** Layers on one fresh prefix of the cluster: each call another process. */
function namespace(): LayerFactory {
  const prefix = `cluster-${Math.random().toString(36).slice(2, 10)}`;
  return async (options = {}) => {
    const layer = new RedisLayer({ ...options, url: 'redis://127.0.0.1', cluster: cluster.seeds, prefix });
    await layer.waitUntilReady();
    return layer;
  };
}

channelLayerContract('redis (cluster)', namespace);
groupHistoryContract('redis (cluster)', namespace);
