/** Where and on what the suite ran: the heading lines of a results section. */
import { execFileSync, spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { ROOT } from './config.js';

function firstLine(command: string, args: string[]): string {
  // wrk -v exits 1 after printing its version.
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0] ?? 'unknown';
}

export function environment(redisVersion: string): string[] {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? 0;
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  return [
    `- date: ${new Date().toISOString()}`,
    // Others may be changing the code while this runs: say which code was measured.
    `- git: ${git('rev-parse', 'HEAD')}${dirty ? ' (working tree has uncommitted changes to tracked files)' : ''}`,
    `- Node ${process.version}, Redis ${redisVersion}, ${firstLine('wrk', ['-v']).replace(/\s+Copyright.*$/, '')}, ${firstLine('h2load', ['--version'])}`,
    `- CPU: ${model}, ${cores} cores; load average at the end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`,
  ];
}
