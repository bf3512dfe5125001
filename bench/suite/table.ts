/** The results table (markdown) and the notes under it. */
import { formatSpread, spread } from '../stats.js';
import { formatCpu } from './procstat.js';
import type { Goal, Metric, RunResult, Scenario } from './scenario.js';
import { DEFAULT_KINDS, isQuiet, KIND_LABEL, KINDS, type Column, type Kind } from './targets.js';

/** Each scenario's runs, by target, in run order (a failed run keeps its place; a target it does not run has none). */
export type Results = Map<Scenario, Record<Kind, RunResult[]>>;

/**
 * A scenario's rows come in blocks: the shipped defaults, then (where the scenario runs the
 * quiet targets) the same metrics with `--log-level warn` in the same columns, against the same
 * plain-Node runs.
 */
const VARIANTS = [
  { quiet: false, label: 'shipped defaults', serve: 'serve', dev: 'dev' },
  { quiet: true, label: '`--log-level warn`', serve: 'serve-quiet', dev: 'dev-quiet' },
] as const;

export function table(results: Results): string {
  const lines = [
    `| scenario | metric | ${KIND_LABEL.plain} | ${KIND_LABEL.serve} | ratio | ${KIND_LABEL.dev} | ratio |`,
    '|---|---|--:|--:|--:|--:|--:|',
  ];
  for (const [scenario, runs] of results) {
    const hasQuiet = (scenario.kinds ?? DEFAULT_KINDS).some(isQuiet);
    for (const variant of VARIANTS) {
      if (variant.quiet && !hasQuiet) continue;
      let shown = '';
      for (const metric of scenario.metrics) {
        if (variant.quiet && metric.defaultsOnly) continue;
        const name = `${metric.scenario ?? scenario.name}${hasQuiet && !metric.defaultsOnly ? `: ${variant.label}` : ''}`;
        const label = name === shown ? '' : name;
        shown = name;
        // The quiet rows are against the plain runs shown above: a ditto mark, not the figures again.
        const plainCell = variant.quiet ? (measures(metric, 'plain') && !metric.minusPlain ? '〃' : '—') : cell(runs.plain, runs.plain, metric, 'plain');
        const cells = [label, metric.label, plainCell];
        for (const column of ['serve', 'dev'] as const) {
          const own = runs[variant[column]];
          cells.push(cell(runs.plain, own, metric, column), ratioCell(runs.plain, own, metric, column));
        }
        lines.push(`| ${cells.join(' | ')} |`);
      }
    }
  }
  return lines.join('\n');
}

function measures(metric: Metric, column: Column): boolean {
  return metric.kinds === undefined || metric.kinds.includes(column);
}

function valuesOf(runs: RunResult[], key: string): number[] {
  return runs.flatMap((run) => (Number.isFinite(run.values[key]) ? [run.values[key]!] : []));
}

/** `combine(switchyard, plain)` of the same run index, where both measured it (and `combine` gives a number). */
function perRun(plain: RunResult[], runs: RunResult[], key: string, plainKey: string, combine: (a: number, b: number) => number | undefined): number[] {
  return runs.flatMap((run, i) => {
    const [a, b] = [run.values[key], plain[i]?.values[plainKey]];
    const n = a !== undefined && b !== undefined && Number.isFinite(a) && Number.isFinite(b) ? combine(a, b) : undefined;
    return n === undefined ? [] : [n];
  });
}

const ratios = (plain: RunResult[], runs: RunResult[], metric: Metric): number[] =>
  metric.noRatio || metric.minusPlain || (metric.ratioTo === undefined && !measures(metric, 'plain'))
    ? []
    : perRun(plain, runs, metric.key, metric.ratioTo ?? metric.key, (a, b) => (b > 0 ? a / b : undefined));

const differences = (plain: RunResult[], runs: RunResult[], metric: Metric): number[] => perRun(plain, runs, metric.key, metric.key, (a, b) => a - b);

function cell(plain: RunResult[], runs: RunResult[], metric: Metric, column: Column): string {
  if (runs.length === 0 || !measures(metric, column) || (metric.minusPlain && column === 'plain')) return '—';
  const values = metric.minusPlain ? differences(plain, runs, metric) : valuesOf(runs, metric.key);
  if (values.length === 0) return runs.some((run) => run.failed) ? 'failed' : '—';
  const text = formatSpread(spread(values), metric.format);
  return values.length < runs.length ? `${text} [${values.length} of ${runs.length} runs]` : text;
}

function ratioCell(plain: RunResult[], runs: RunResult[], metric: Metric, column: Column): string {
  if (runs.length === 0 || !measures(metric, column)) return '—';
  const own = ratios(plain, runs, metric);
  const text = own.length === 0 ? '—' : formatSpread(spread(own), (n) => n.toFixed(2));
  const goal: Goal | undefined = metric.goal?.kinds === undefined || metric.goal.kinds.includes(column) ? metric.goal : undefined;
  if (goal === undefined) return text;
  const judged = goal.on === 'ratio' ? own : goal.on === 'difference' ? differences(plain, runs, metric) : valuesOf(runs, metric.key);
  // A target nothing shows met is not met, unless the runs failed (the notes say why).
  if (judged.length === 0) return `${text} ${runs.every((run) => run.failed) ? '?' : '✗'} ${goal.text}`;
  return `${text} ${goal.met(spread(judged).median) ? '✓' : '✗'} ${goal.text}`;
}

/** Per scenario and target: median CPU use while measuring, then every note with the runs it came from. */
export function notes(results: Results): string {
  const lines: string[] = [];
  for (const [scenario, byKind] of results) {
    lines.push(`- **${scenario.name}**`);
    for (const kind of KINDS) {
      const runs = byKind[kind];
      if (runs.length === 0) continue;
      const names = [...new Set(runs.flatMap((run) => Object.keys(run.cpu)))];
      const cpu = Object.fromEntries(names.map((name) => [name, spread(runs.flatMap((run) => (run.cpu[name] === undefined ? [] : [run.cpu[name]!]))).median]));
      lines.push(`  - ${KIND_LABEL[kind]}: CPU while measuring (median of runs; 100% = one core; the machine has 2): ${formatCpu(cpu) || 'not sampled'}`);
      const seen = new Map<string, number[]>();
      runs.forEach((run, i) => run.notes.forEach((note) => seen.set(note, [...(seen.get(note) ?? []), i + 1])));
      for (const [note, at] of seen) lines.push(`    - run ${at.join(', ')}: ${note.replace(/\s*\n\s*/g, ' ⏎ ')}`);
    }
  }
  return lines.join('\n');
}
