/**
 * Every process the suite starts, so each is killed however the suite ends (done, error,
 * timeout, SIGINT).
 */
import { fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { killAll } from '../../test/helpers/processes.js';

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
  return child;
}

export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  return track(spawn(command, args, options));
}

export function forkTracked(module: string, args: string[], options: ForkOptions): ChildProcess {
  return track(fork(module, args, options));
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (exited(child) || child.pid === undefined) return;
  const gone = once(child, 'exit');
  child.kill('SIGTERM');
  if (await Promise.race([gone.then(() => false), sleep(graceMs, true)])) {
    child.kill('SIGKILL');
    await gone;
  }
}

/** SIGKILLs everything still running: ours and the switchyard processes of test/helpers. */
export async function killEverything(): Promise<void> {
  const waits = [...children].map((child) => {
    const gone = exited(child) ? Promise.resolve() : once(child, 'exit').then(() => {});
    child.kill('SIGKILL');
    return Promise.race([gone, sleep(2_000)]);
  });
  await Promise.all([...waits, killAll()]);
}

/** `promise`, or a rejection naming `what` after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
