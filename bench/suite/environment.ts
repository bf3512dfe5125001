/** Where and on what the suite ran: the heading lines of a results section. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './config.js';

function firstLine(command: string, args: string[]): string {
  // wrk -v exits 1 after printing its version.
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0] ?? 'unknown';
}

/** Which code the switchyard processes run: the git commit, and when dist/ (what the CLI runs) was last built. */
export interface CodeStamp {
  head: string;
  dirty: boolean;
  /** Newest modification time of a file under dist/ (ISO). */
  built: string;
}

export function codeStamp(): CodeStamp {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  const dist = join(ROOT, 'dist');
  const newest = readdirSync(dist, { recursive: true, encoding: 'utf8' }).reduce((max, file) => Math.max(max, statSync(join(dist, file)).mtimeMs), 0);
  return { head: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '', built: new Date(newest).toISOString() };
}

/**
 * Others may be changing and rebuilding the code while this runs (each scenario starts fresh
 * processes from dist/): say which code was measured, and whether it changed under the run.
 */
export function environment(redisVersion: string, start: CodeStamp, end: CodeStamp): string[] {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? 'unknown';
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? 0;
  const dirty = (stamp: CodeStamp): string => (stamp.dirty ? ' (with uncommitted changes to tracked files)' : '');
  const lines = [
    `- date: ${new Date().toISOString()}`,
    `- git: ${start.head}${dirty(start)}; dist/ built ${start.built}`,
  ];
  if (end.head !== start.head || end.built !== start.built || end.dirty !== start.dirty) {
    lines.push(
      `- **the code changed during the run**: at the end, git ${end.head}${dirty(end)}, dist/ built ${end.built}; ` +
        'scenarios started after a rebuild ran the newer code',
    );
  }
  lines.push(
    `- Node ${process.version}, Redis ${redisVersion}, ${firstLine('wrk', ['-v']).replace(/\s+Copyright.*$/, '')}, ${firstLine('h2load', ['--version'])}`,
    `- CPU: ${model}, ${cores} cores; load average at the end: ${loadavg().map((n) => n.toFixed(2)).join(' ')}`,
  );
  return lines;
}
