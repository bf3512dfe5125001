import { pino, type Logger } from 'pino';
import { MemoryLayer } from '../../channel-layer/index.js';
import type { App } from '../app.js';
import { Worker, type WorkerOptionsInput } from '../worker.js';

export interface TestBedOptions extends Omit<WorkerOptionsInput, 'logger'> {
  /** Where the app's log lines go (default: nowhere). */
  logger?: Logger;
}

/**
 * The app's real worker on an in-memory layer. Communicators play the interface server's part
 * against it. Started on first use; `close()` stops it (and runs the shutdown hooks).
 */
export class TestBed {
  readonly layer = new MemoryLayer({ processName: 'test' });
  private worker: Worker | undefined;
  private starting: Promise<void> | undefined;

  constructor(
    readonly app: App,
    private readonly options: TestBedOptions = {},
  ) {}

  start(): Promise<void> {
    this.starting ??= (async () => {
      this.worker = new Worker(this.app, this.layer, { ...this.options, logger: this.options.logger ?? pino({ level: 'silent' }) });
      await this.worker.start();
    })();
    return this.starting;
  }

  async close(): Promise<void> {
    await this.worker?.stop();
    await this.layer.close();
  }
}
