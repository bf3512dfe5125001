import { MemoryLayer, MemoryStore } from '../../channel-layer/index.js';
import { channelLayerContract } from './contract.js';
import { groupHistoryContract } from './history-contract.js';

channelLayerContract('memory', () => {
  let store: MemoryStore | undefined;
  return async ({ clock, ...options } = {}) => {
    store ??= new MemoryStore(options.expiryMs ?? 60_000, clock);
    return new MemoryLayer({ ...options, store });
  };
});

groupHistoryContract('memory', () => {
  let store: MemoryStore | undefined;
  return async ({ clock, ...options } = {}) => {
    store ??= new MemoryStore(options.expiryMs ?? 60_000, clock);
    return new MemoryLayer({ ...options, store });
  };
});
