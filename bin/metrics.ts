import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import type { ChannelLayer } from '../channel-layer/index.js';

/**
 * The registry a process's admin port serves: Node's own metrics (memory, event loop lag, GC)
 * and what the channel layer dropped (expired, unreadable, overflowing local buffers). Node's
 * own keep prom-client's standard names (`process_cpu_seconds_total`,
 * `nodejs_eventloop_lag_seconds`, …), which the stock Node.js dashboards query; what is
 * switchyard's own is prefixed `switchyard_`.
 */
export function processRegistry(layer: ChannelLayer): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
