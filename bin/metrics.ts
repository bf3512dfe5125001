import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { ChannelLayer } from '../channel-layer/index.js';

/**
 * The registry a process's admin port serves: Node's own metrics (memory, event loop lag, GC)
 * and what the channel layer dropped (expired, unreadable, overflowing local buffers).
 */
export function processRegistry(layer: ChannelLayer): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'switchyard_' });
  const stats = (layer as { stats?: Record<string, number> }).stats;
  if (stats !== undefined) {
    new Counter({
      name: 'switchyard_layer_dropped_messages_total',
      help: 'Messages the channel layer dropped: expired, malformed (unreadable) or overflowed (a full local buffer)',
      labelNames: ['reason'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(stats)) this.inc({ reason }, n);
      },
    });
  }
  return registry;
}
