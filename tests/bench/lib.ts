// The benchmark suite's common parts: one result shape for every measurement, repeated runs with
// medians and spreads, peak memory, and the machine the numbers were taken on.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export type Unit = 'ms' | 'records/s' | 'bytes' | 'MB';

/** One line of bench.json. `median`, `min`, `max` are over `runs` measured runs (after warm-up). */
export interface BenchResult {
  name: string;
  unit: Unit;
  median: number;
  min: number;
  max: number;
  runs: number;
  /** Highest resident set size of the bench process seen during the runs (sampled; Node side only). */
  peakRssMb?: number;
  /** The issue's target for this name, when it has one. */
  target?: { op: '<=' | '>='; value: number };
  /**
   * Median CPU time (user + system) of this process per run, for in-process work: on a shared machine
   * it moves much less with other people's load than the wall time does. Absent where the work runs
   * in another process or thread (HTTP server worker, browser).
   */
  cpuMedianMs?: number;
  /** What exactly was timed, or why a number could not be taken. */
  note?: string;
}

/** A name that could not be measured here: written to bench.md with the reason, not as a number. */
export interface Unmeasured {
  name: string;
  reason: string;
}

export interface Machine {
  cpuModel: string;
  cpus: number;
  /** Nominal clock of the first core (os.cpus), GHz. */
  cpuGhz: number;
  memoryGb: number;
  node: string;
  platform: string;
  loadAverage1m: number[];
  /** What scored on which chip, e.g. the browser's WebGL renderer (SwiftShader here: no GPU). */
  accelerators: string[];
}

export function machine(): Machine {
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length,
    cpuGhz: Math.round(clockMhz() / 10) / 100,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage1m: [os.loadavg()[0]!],
    accelerators: [],
  };
}

/** os.cpus() reports 0 MHz on some virtual machines: /proc/cpuinfo then. */
function clockMhz(): number {
  const speed = os.cpus()[0]?.speed ?? 0;
  if (speed > 0) return speed;
  try {
    return Number(/cpu MHz\s*:\s*([\d.]+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Summary of raw samples (ms, records/s, ...) as a result line. */
export function summarise(name: string, unit: Unit, samples: number[], extra: Partial<BenchResult> = {}): BenchResult {
  return { name, unit, median: median(samples), min: Math.min(...samples), max: Math.max(...samples), runs: samples.length, ...extra };
}

/** Samples the process's RSS every 20 ms while it is awaited (sync work blocks the timer: the run's end is sampled too). */
export class RssSampler {
  private peak = 0;
  private timer: NodeJS.Timeout | null = null;

  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), 20);
  }

  sample(): void {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
  }

  stop(): number {
    this.sample();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return Math.round((this.peak / 2 ** 20) * 10) / 10;
  }
}

/**
 * Times `fn` `runs` times after `warmup` runs; wall-clock milliseconds. `fn` may return a number of
 * milliseconds it measured itself (e.g. only part of its work), which is then used instead.
 */
export async function timeRuns(
  name: string,
  fn: (run: number) => unknown,
  opts: { runs: number; warmup?: number; extra?: Partial<BenchResult>; /** false: the work runs elsewhere (server, worker), CPU time here says nothing. */ inProcess?: boolean },
): Promise<BenchResult> {
  for (let i = 0; i < (opts.warmup ?? 1); i++) await fn(-1 - i);
  const rss = new RssSampler();
  rss.start();
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    const own = await fn(i);
    times.push(typeof own === 'number' ? own : performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
    rss.sample();
  }
  const cpuMedianMs = opts.inProcess === false ? undefined : Math.round(median(cpu) * 10) / 10;
  const result = summarise(name, 'ms', times, { peakRssMb: rss.stop(), ...(cpuMedianMs !== undefined ? { cpuMedianMs } : {}), ...opts.extra });
  log(result);
  return result;
}

export function log(r: BenchResult): void {
  const f = (x: number) => (r.unit === 'ms' ? x.toFixed(1) : Math.round(x).toLocaleString('en'));
  console.log(
    `${r.name.padEnd(44)} ${f(r.median).padStart(10)} ${r.unit.padEnd(9)} [${f(r.min)} – ${f(r.max)}] ×${r.runs}${r.cpuMedianMs !== undefined ? `  cpu ${r.cpuMedianMs} ms` : ''}${r.peakRssMb ? `  rss ≤ ${r.peakRssMb} MB` : ''}`,
  );
}
