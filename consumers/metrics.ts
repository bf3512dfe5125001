import { Counter, Gauge, type Registry } from 'prom-client';
import { DurableAdmin } from './durable/admin.js';
import type { DurableConfig } from './durable/connection.js';

/** A worker's metrics, registered on the registry the admin port serves. */
export class WorkerMetrics {
  readonly messages: Counter<'channel'>;
  private admin: DurableAdmin | undefined;

  constructor(registry: Registry, busy: () => number, durable: { config: DurableConfig; channels: string[] } | undefined) {
    const registers = [registry];
    this.messages = new Counter({ name: 'switchyard_worker_messages_total', help: 'Messages this worker took, by channel', labelNames: ['channel'], registers });
    new Gauge({
      name: 'switchyard_worker_busy_ratio',
      help: 'Consumers running ÷ concurrency',
      registers,
      collect() {
        this.set(busy());
      },
    });
    if (durable === undefined || durable.channels.length === 0) return;
    const admin = (this.admin = new DurableAdmin(durable.config));
    new Gauge({
      name: 'switchyard_durable_jobs',
      help: 'Jobs of durable channels, by state (waiting, active, delayed, completed, failed)',
      labelNames: ['channel', 'state'],
      registers,
      async collect() {
        for (const channel of durable.channels) {
          const counts = await admin.counts(channel).catch(() => undefined);
          for (const [state, n] of Object.entries(counts ?? {})) this.set({ channel, state }, n);
        }
      },
    });
  }

  /** Closes the durable queues' connection (a worker that stops must not be kept alive by it). */
  async close(): Promise<void> {
    await this.admin?.close();
  }
}
