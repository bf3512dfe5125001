import { MemoryLayer, MemoryStore } from '../../channel-layer/index.js';
import { channelLayerContract, type LayerFactory } from './contract.js';
import { groupHistoryContract } from './history-contract.js';

/** Layers on one fresh store: each call another process. */
function namespace(): LayerFactory {
  let store: MemoryStore | undefined;
  return async ({ clock, ...options } = {}) => {
    store ??= new MemoryStore(options.expiryMs ?? 60_000, clock);
    return new MemoryLayer({ ...options, store });
  };
}

channelLayerContract('memory', namespace);
groupHistoryContract('memory', namespace);
