import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { expect, it } from 'vitest';
import { ReadableLines } from '../../bin/options.js';
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

it('dev writes its access lines itself, exactly as pino-pretty would, in colour or not', () => {
  const now = new Date(2026, 10, 27, 9, 5, 7, 42);
  const fields = { method: 'GET', path: '/hello?x="y"', protocol: 'http1', status: '200', ms: 1.5, client: '127.0.0.1' };
  const log = pino({ name: 'switchyard' }).child({ role: 'server' });
  for (const colorize of [false, true]) {
    const ours = new ReadableLines('switchyard', colorize).access(log, [fields, 'request'], now);
    const json = JSON.stringify({ level: 30, time: now.getTime(), pid: 1, hostname: 'h', name: 'switchyard', role: 'server', ...fields, msg: 'request' });
    const theirs = prettyFactory({ colorize, singleLine: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' })(json);
    expect(ours).toBe(theirs);
  }
});
