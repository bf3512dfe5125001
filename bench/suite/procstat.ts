/** What /proc says about a process: resident memory, and CPU use over a stretch of time. */
import { readFileSync } from 'node:fs';

/** VmRSS of `pid`, in bytes. */
export function rss(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(kb) * 1024;
}

/** utime + stime of `pid` (and its threads), in clock ticks; undefined once it is gone. */
function cpuTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // fields 14 and 15 of proc(5)
  } catch {
    return undefined;
  }
}

/**
 * CPU time each of `pids` used between `start()` and `stop()`, in µs, read from /proc at those
 * two moments only: for a cost per unit of work, the window must be the one the work was
 * counted in, not the sampler's (which starts before the load tool and samples each second).
 * Resolution: one clock tick (10 ms) per reading, i.e. ±0.1% of a core busy for 10 s.
 * A process gone by `stop()` gives no figure.
 */
export class CpuWindow {
  private readonly before = new Map<string, number>();
  private started = false;

  constructor(private readonly pids: Pids) {}

  start(): void {
    this.started = true;
    for (const [name, pid] of Object.entries(this.pids)) {
      const ticks = pid === undefined ? undefined : cpuTicks(pid);
      if (ticks !== undefined) this.before.set(name, ticks);
    }
  }

  stop(): Record<string, number> {
    if (!this.started) throw new Error('CpuWindow stopped before it started');
    const used: Record<string, number> = {};
    for (const [name, before] of this.before) {
      const after = cpuTicks(this.pids[name]!);
      if (after !== undefined) used[name] = ((after - before) / HZ) * 1e6;
    }
    return used;
  }
}

/** Busy time of the whole machine (all cores), in clock ticks: /proc/stat minus idle and iowait. */
function machineTicks(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  void idle;
  void iowait;
  return user! + nice! + system! + irq! + softirq! + steal!;
}

/** Clock ticks per second (USER_HZ): 100 on every Linux this runs on. */
const HZ = 100;

export type Pids = Record<string, number | undefined>;

/**
 * Samples the CPU time of named processes every second while running; `stop()` gives each
 * one's average CPU use (100 = one core) between its first and last sample. Processes may be
 * added later (wrk, once spawned) and may exit early (their last sample counts). Stretches
 * under 200 ms give no figure. Also gives the whole machine's use ("machine") and the part of
 * it no named process accounts for ("others": other people's work on a shared machine, the
 * kernel), which says how noisy the measurement was.
 */
export class CpuSampler {
  private readonly first = new Map<string, { at: number; ticks: number }>();
  private readonly last = new Map<string, { at: number; ticks: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: Pids) {
    this.pids.suite = process.pid;
    this.sample();
    this.timer = setInterval(() => this.sample(), 1_000).unref();
  }

  add(name: string, pid: number | undefined): void {
    this.pids[name] = pid;
    this.sample();
  }

  stop(): Record<string, number> {
    clearInterval(this.timer);
    this.sample();
    const use: Record<string, number> = {};
    for (const [name, start] of this.first) {
      const end = this.last.get(name)!;
      if (end.at - start.at >= 200) use[name] = ((end.ticks - start.ticks) / HZ / ((end.at - start.at) / 1000)) * 100;
    }
    if (use.machine !== undefined) {
      const ours = Object.entries(use).reduce((sum, [name, pct]) => (name === 'machine' ? sum : sum + pct), 0);
      use.others = Math.max(0, use.machine - ours);
    }
    return use;
  }

  private sample(): void {
    const at = performance.now();
    for (const [name, pid] of Object.entries({ ...this.pids, machine: 0 })) {
      if (pid === undefined) continue;
      const ticks = name === 'machine' ? machineTicks() : cpuTicks(pid);
      if (ticks === undefined) continue;
      if (!this.first.has(name)) this.first.set(name, { at, ticks });
      this.last.set(name, { at, ticks });
    }
  }
}

/** e.g. "serve 98%, worker 61%, redis 35%, wrk 80%, suite 1%; whole machine 190%, of which others 15%" */
export function formatCpu(use: Record<string, number>): string {
  const ours = Object.entries(use)
    .filter(([name]) => name !== 'machine' && name !== 'others')
    .map(([name, pct]) => `${name} ${Math.round(pct)}%`)
    .join(', ');
  if (use.machine === undefined) return ours;
  return `${ours}; whole machine ${Math.round(use.machine)}%, of which not the suite's ${Math.round(use.others ?? 0)}%`;
}

/** Runs `work` while sampling the CPU use of `pids` (the sampler is handed over, for processes started later). */
export async function withCpu<T>(pids: Pids, work: (sampler: CpuSampler) => Promise<T>): Promise<{ result: T; cpu: Record<string, number> }> {
  const sampler = new CpuSampler({ ...pids });
  try {
    const result = await work(sampler);
    return { result, cpu: sampler.stop() };
  } finally {
    sampler.stop();
  }
}
