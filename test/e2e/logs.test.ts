import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';
import { childEnv, CLI, QUICKSTART, ROOT } from '../helpers/processes.js';

/** The first stdout line of `switchyard …args` that mentions listening; the process is then stopped. */
async function listeningLine(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: childEnv(), stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    for await (const line of createInterface({ input: child.stdout! })) if (line.includes('listening on')) return line;
    throw new Error('the process ended without listening');
  } finally {
    child.kill('SIGKILL');
  }
}

it('dev logs readable lines by default, and JSON lines when asked', async () => {
  const readable = await listeningLine(['dev', QUICKSTART, '--port', '0']);
  expect(readable).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO \(switchyard\): listening on http:\/\/127\.0\.0\.1:\d+ \{/);
  const json = JSON.parse(await listeningLine(['dev', QUICKSTART, '--port', '0', '--log-format', 'json'])) as { level: number; msg: string };
  expect(json).toMatchObject({ level: 30 });
  expect(json.msg).toMatch(/^listening on http:\/\//);
});
