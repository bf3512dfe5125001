/** What a scenario is, what one run of it gives, and the targets from the issue. */
import type { Column, Kind, Redis, Target } from './targets.js';

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
  /**
   * Judged on the median of: the per-run ratios to plain Node (`ratio`), the switchyard values
   * themselves (`value`), or the per-run differences switchyard − plain Node (`difference`).
   */
  on: 'ratio' | 'value' | 'difference';
  met(n: number): boolean;
  /** The columns it is a target for (by default every switchyard one); the others show the figures unjudged. */
  kinds?: readonly Column[];
}

export interface Metric {
  key: string;
  /** The row's first column, when not the scenario's own name. */
  scenario?: string;
  label: string;
  format(n: number): string;
  /** Which columns measure it (by default all of the scenario's); a quiet target counts as its shipped twin. */
  kinds?: readonly Column[];
  /** A count where a ratio means nothing (losses, failures): the ratio cell shows the goal only. */
  noRatio?: boolean;
  /** The ratio's denominator: plain Node's value of this key (by default the metric's own key). */
  ratioTo?: string;
  /**
   * A derived row: each run's value of `key` minus plain Node's of the same run (e.g. added
   * latency), shown in the switchyard cells; the plain cell is empty. Goals on it are `difference`.
   */
  minusPlain?: boolean;
  /** Shown for the shipped defaults only: the quiet targets are not measured for it (logging cannot change it). */
  defaultsOnly?: boolean;
  goal?: Goal;
}

export interface Context {
  redis: Redis;
}

export interface Scenario {
  name: string;
  /** The plain-Node server it runs against. */
  plainMode: 'http' | 'h2c';
  /** The targets it runs (by default plain, serve and dev: the quiet ones only where logging is worth a row). */
  kinds?: readonly Kind[];
  metrics: Metric[];
  run(target: Target, context: Context): Promise<RunResult>;
}

export const atLeast = (ratio: number): Goal => ({ text: `≥ ${ratio}`, on: 'ratio', met: (n) => n >= ratio });
export const atMost = (ratio: number): Goal => ({ text: `≤ ${ratio}×`, on: 'ratio', met: (n) => n <= ratio });
/** A target on switchyard − plain Node, run by run, in the metric's unit. */
export const addsAtMost = (amount: number, unit: string): Goal => ({ text: `≤ +${amount} ${unit}`, on: 'difference', met: (n) => n <= amount });
/** `goal`, judged (and shown) for the given columns only. */
export const only = (kinds: readonly Column[], goal: Goal): Goal => ({ ...goal, kinds });

export const fmt = {
  rate: (n: number): string => Math.round(n).toLocaleString('en-US'),
  ms: (n: number): string => (n < 10 ? n.toFixed(2) : n.toFixed(1)),
  /** ms to the µs, for latencies well under a millisecond. */
  msFine: (n: number): string => n.toFixed(3),
  kib: (n: number): string => `${(n / 1024).toFixed(1)} KiB`,
  count: (n: number): string => Math.round(n).toLocaleString('en-US'),
  perRequest: (n: number): string => n.toFixed(2),
  /** A difference in ms, signed, to the µs. */
  addedMs: (n: number): string => `${n < 0 ? '−' : '+'}${Math.abs(n).toFixed(3)}`,
  us: (n: number): string => (n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')),
};
