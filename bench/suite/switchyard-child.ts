/**
 * A `switchyard …` process of the suite: stdout to a LogFile (see there why not a pipe), stderr
 * kept (capped). Tracked like every child of the suite, so killEverything ends it.
 */
import type { ChildProcess } from 'node:child_process';
import { CLI } from '../../test/helpers/processes.js';
import { exited, spawnTracked, stopChild } from './children.js';
import { ROOT } from './config.js';
import { LogFile, type LogLine } from './log-file.js';

const STDERR_CAP = 16_384;

export class SwitchyardChild {
  readonly log = new LogFile();
  private readonly child: ChildProcess;
  private errors = '';

  constructor(
    readonly args: string[],
    env: NodeJS.ProcessEnv,
  ) {
    try {
      this.child = spawnTracked(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ['ignore', this.log.writeFd, 'pipe'] });
    } finally {
      this.log.handedOver();
    }
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      if (this.errors.length < STDERR_CAP) this.errors += chunk.slice(0, STDERR_CAP - this.errors.length);
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get hasExited(): boolean {
    return exited(this.child);
  }

  get stderr(): string {
    return this.errors;
  }

  /** Lines below warnings it wrote so far. */
  belowWarn(): number {
    return this.log.belowWarn();
  }

  warnings(): LogLine[] {
    return this.log.warnings();
  }

  /** What it said, for a failure message. */
  output(): string {
    return `switchyard ${this.args.join(' ')}${this.hasExited ? ` exited (${this.child.exitCode ?? this.child.signalCode})` : ''}:\n${this.log.start()}${this.errors}`;
  }

  /** SIGTERM, SIGKILL after `graceMs`; then its log is closed. */
  async stop(graceMs: number): Promise<void> {
    try {
      await stopChild(this.child, graceMs);
    } finally {
      this.log.close();
    }
  }
}
