// Per-policy summary over seeds: each statistic is computed per run, then its mean and 95% t-interval
// over the runs (seeds) are reported.
import { meanCI95 } from '../metrics';
import type { BatchRecord, Interval, PolicySummary, RunRecord } from './types';

function ratio(batches: BatchRecord[], hits: (b: BatchRecord) => number, total: (b: BatchRecord) => number): number | null {
  const t = batches.reduce((s, b) => s + total(b), 0);
  return t === 0 ? null : batches.reduce((s, b) => s + hits(b), 0) / t;
}

function meanOf(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : v.reduce((s, x) => s + x, 0) / v.length;
}

function interval(values: (number | null)[]): Interval | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : meanCI95(v);
}

/** Per-run statistics: ECE and AUC are means over the run's batches, silhouette is the last batch's. */
export function runStats(run: RunRecord) {
  const b = run.batches;
  const last20 = b.slice(-20);
  const silhouettes = b.map((x) => x.silhouette).filter((x): x is number => x !== null);
  return {
    cumulativeKeepers: b.reduce((s, x) => s + x.keepers, 0),
    cumulativeRegret: b.reduce((s, x) => s + x.regret, 0),
    exploitKeeperRate: ratio(b, (x) => x.exploitKeepers, (x) => x.nExploit),
    exploreKeeperRate: ratio(b, (x) => x.exploreKeepers, (x) => x.nExplore),
    exploitKeeperRateLast20: ratio(last20, (x) => x.exploitKeepers, (x) => x.nExploit),
    ece: meanOf(b.map((x) => x.ece)),
    auc: meanOf(b.map((x) => x.auc)),
    silhouette: silhouettes.length > 0 ? silhouettes[silhouettes.length - 1]! : null,
    trainMsPerBatch: meanOf(b.map((x) => x.trainMs)) ?? 0,
    selectMsPerBatch: meanOf(b.map((x) => x.selectMs)) ?? 0,
  };
}

export function summarise(runs: RunRecord[], policies: string[]): Record<string, PolicySummary> {
  const out: Record<string, PolicySummary> = {};
  for (const policy of policies) {
    const stats = runs.filter((r) => r.policy === policy).map(runStats);
    if (stats.length === 0) continue;
    out[policy] = {
      cumulativeKeepers: interval(stats.map((s) => s.cumulativeKeepers))!,
      cumulativeRegret: interval(stats.map((s) => s.cumulativeRegret))!,
      exploitKeeperRate: interval(stats.map((s) => s.exploitKeeperRate)),
      exploreKeeperRate: interval(stats.map((s) => s.exploreKeeperRate)),
      exploitKeeperRateLast20: interval(stats.map((s) => s.exploitKeeperRateLast20)),
      ece: interval(stats.map((s) => s.ece)),
      auc: interval(stats.map((s) => s.auc)),
      silhouette: interval(stats.map((s) => s.silhouette)),
      trainMsPerBatch: interval(stats.map((s) => s.trainMsPerBatch))!,
      selectMsPerBatch: interval(stats.map((s) => s.selectMsPerBatch))!,
    };
  }
  return out;
}

/** Mean and 95% band per batch index of a per-batch series over the runs (seeds) of one policy. */
export function bandOverSeeds(runs: RunRecord[], value: (b: BatchRecord) => number, cumulative = false) {
  const series = runs.map((r) => {
    let acc = 0;
    return r.batches.map((b) => {
      const v = value(b);
      acc += v;
      return cumulative ? acc : v;
    });
  });
  const len = Math.max(0, ...series.map((s) => s.length));
  const points: { x: number; y: number; lo: number; hi: number }[] = [];
  for (let i = 0; i < len; i++) {
    const vals = series.map((s) => s[i]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    if (vals.length === 0) continue;
    const ci = meanCI95(vals);
    points.push({ x: i, y: ci.mean, lo: Number.isFinite(ci.lo) ? ci.lo : ci.mean, hi: Number.isFinite(ci.hi) ? ci.hi : ci.mean });
  }
  return points;
}
