/** What a scenario is, what one run of it gives, and the targets from the issue. */
import type { Kind, Redis, Target } from './targets.js';

export interface RunResult {
  /** Metric values by key; a metric missing here shows as "—" (not measured, or failed). */
  values: Record<string, number>;
  /** Average CPU use (%, 100 = one core) of each process while measuring. */
  cpu: Record<string, number>;
  /** Anything odd: errors, failures, losses, warnings the processes logged. */
  notes: string[];
  failed?: boolean;
}

export interface Goal {
  /** Printed beside the ratio, e.g. "≥ 0.5" or "p50 ≤ 1 ms". */
  text: string;
  /** Judged on the median per-run ratio to plain Node, or on the switchyard median itself. */
  on: 'ratio' | 'value';
  met(n: number): boolean;
}

export interface Metric {
  key: string;
  /** The row's first column, when not the scenario's own name. */
  scenario?: string;
  label: string;
  format(n: number): string;
  /** Which targets measure it (by default all of the scenario's). */
  kinds?: readonly Kind[];
  /** A count where a ratio means nothing (losses, failures): the ratio cell shows the goal only. */
  noRatio?: boolean;
  goal?: Goal;
}

export interface Context {
  redis: Redis;
}

export interface Scenario {
  name: string;
  /** The plain-Node server it runs against. */
  plainMode: 'http' | 'h2c';
  metrics: Metric[];
  run(target: Target, context: Context): Promise<RunResult>;
}

export const atLeast = (ratio: number): Goal => ({ text: `≥ ${ratio}`, on: 'ratio', met: (n) => n >= ratio });
export const atMost = (ratio: number): Goal => ({ text: `≤ ${ratio}×`, on: 'ratio', met: (n) => n <= ratio });

export const fmt = {
  rate: (n: number): string => Math.round(n).toLocaleString('en-US'),
  ms: (n: number): string => (n < 10 ? n.toFixed(2) : n.toFixed(1)),
  kib: (n: number): string => `${(n / 1024).toFixed(1)} KiB`,
  count: (n: number): string => Math.round(n).toLocaleString('en-US'),
  perRequest: (n: number): string => n.toFixed(2),
};
