import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { LayerEnv } from './processes.js';

/** Debian's Python, where .ci/run installs python3-redis, python3-msgpack, python3-starlette and python3-django. */
export const PYTHON = '/usr/bin/python3';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface PythonWorker {
  child: ChildProcess;
  /** Everything it wrote to stderr. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * `python3 -m switchyard_asgi APP --redis … --prefix …` (workers/python) with `appDirs` (the
 * tests' app folders unless told) on its path, once it says it takes its channels.
 */
export async function startPythonWorker(app: string, layer: LayerEnv, flags: string[] = [], appDirs: string[] = ['test/python/apps', 'test/conformance/apps']): Promise<PythonWorker> {
  const child = spawn(PYTHON, ['-m', 'switchyard_asgi', app, '--redis', layer.redisUrl, '--prefix', layer.prefix, ...flags], {
    cwd: ROOT,
    env: { ...process.env, PYTHONPATH: ['workers/python', ...appDirs].join(':'), PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const worker: PythonWorker = {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const exited = once(child, 'exit');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
  for (let waited = 0; !/ takes /.test(output); waited += 50) {
    if (child.exitCode !== null) throw new Error(`the Python worker exited with ${child.exitCode}:\n${output}`);
    if (waited > 20_000) {
      await worker.stop();
      throw new Error(`the Python worker did not start within 20 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return worker;
}
