/** Notes that put what the processes did during a measured load run per request served. */
import { fmt } from './scenario.js';

/** e.g. "CPU µs per request (load tool's start to end): serve 61.2, worker 40.3, redis 9.8" */
export function perRequestNote(used: Record<string, number>, requests: number): string {
  const each = Object.entries(used).map(([name, us]) => `${name} ${fmt.us(us / requests)}`);
  return `CPU µs per request (load tool's start to end): ${each.join(', ') || 'not read'}`;
}

/**
 * Log lines below warnings each switchyard process wrote while measuring, per request: 1 for a
 * server with its access log on (the shipped default), 0 with `--log-level warn`; a check that
 * the rows measure what they say.
 */
export function logLinesNote(before: Record<string, number>, after: Record<string, number>, requests: number): string[] {
  const each = Object.entries(after).map(([name, n]) => `${name} ${((n - (before[name] ?? 0)) / requests).toFixed(2)}`);
  return each.length === 0 ? [] : [`log lines below warn per request (counted, not kept): ${each.join(', ')}`];
}
