/** The results table (markdown) and the notes under it. */
import { formatSpread, spread } from '../stats.js';
import { formatCpu } from './procstat.js';
import type { Metric, RunResult, Scenario } from './scenario.js';
import { KIND_LABEL, KINDS, type Kind } from './targets.js';

/** Each scenario's runs, by target, in run order (a failed run keeps its place). */
export type Results = Map<Scenario, Record<Kind, RunResult[]>>;

export function table(results: Results): string {
  const lines = [
    `| scenario | metric | ${KIND_LABEL.plain} | ${KIND_LABEL.serve} | ratio | ${KIND_LABEL.dev} | ratio |`,
    '|---|---|--:|--:|--:|--:|--:|',
  ];
  for (const [scenario, runs] of results) {
    let shown = '';
    for (const metric of scenario.metrics) {
      const name = metric.scenario ?? scenario.name;
      const label = name === shown ? '' : name;
      shown = name;
      const cells = [label, metric.label, cell(runs.plain, metric, 'plain')];
      for (const kind of ['serve', 'dev'] as const) cells.push(cell(runs[kind], metric, kind), ratioCell(runs.plain, runs[kind], metric, kind));
      lines.push(`| ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

function measures(metric: Metric, kind: Kind): boolean {
  return metric.kinds === undefined || metric.kinds.includes(kind);
}

function valuesOf(runs: RunResult[], metric: Metric): number[] {
  return runs.flatMap((run) => (Number.isFinite(run.values[metric.key]) ? [run.values[metric.key]!] : []));
}

function cell(runs: RunResult[], metric: Metric, kind: Kind): string {
  if (!measures(metric, kind)) return '—';
  const values = valuesOf(runs, metric);
  if (values.length === 0) return runs.some((run) => run.failed) ? 'failed' : '—';
  const text = formatSpread(spread(values), metric.format);
  return values.length < runs.length ? `${text} [${values.length} of ${runs.length} runs]` : text;
}

function ratioCell(plain: RunResult[], runs: RunResult[], metric: Metric, kind: Kind): string {
  if (!measures(metric, kind)) return '—';
  const goal = metric.goal;
  const ratios: number[] = [];
  if (!metric.noRatio && measures(metric, 'plain')) {
    runs.forEach((run, i) => {
      const [a, b] = [run.values[metric.key], plain[i]?.values[metric.key]];
      if (a !== undefined && b !== undefined && Number.isFinite(a) && b > 0) ratios.push(a / b);
    });
  }
  const text = ratios.length === 0 ? '—' : formatSpread(spread(ratios), (n) => n.toFixed(2));
  if (goal === undefined) return text;
  const judged = goal.on === 'ratio' ? ratios : valuesOf(runs, metric);
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
