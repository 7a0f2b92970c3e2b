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

/** The batch before which labelled vs unseen uncertainty is compared (after 20 labelled batches). */
export const UNCERTAINTY_RATIO_BATCH = 20;

function keepersIn(batches: BatchRecord[]): number {
  return batches.reduce((s, x) => s + x.keepers, 0);
}

/**
 * Per-run statistics: ECE and AUC are means over the run's batches (ecePooled is the run's pooled ECE
 * over batches 10–50), silhouette is the last batch's, regret the last batch's cumulative regret.
 */
export function runStats(run: RunRecord) {
  const b = run.batches;
  const last20 = b.slice(-20);
  const silhouettes = b.map((x) => x.silhouette).filter((x): x is number => x !== null);
  const at20 = b.find((x) => x.batch === UNCERTAINTY_RATIO_BATCH);
  const uncertaintyRatioAt20 =
    at20 && at20.meanUncertaintyLabelled !== null && at20.meanUncertaintyUnlabelled !== null && at20.meanUncertaintyUnlabelled > 0
      ? at20.meanUncertaintyLabelled / at20.meanUncertaintyUnlabelled
      : null;
  return {
    cumulativeKeepers: keepersIn(b),
    keepersFirst20: keepersIn(b.filter((x) => x.batch < 20)),
    keepersFirst5: keepersIn(b.filter((x) => x.batch < 5)),
    cumulativeRegret: b.at(-1)?.regret ?? 0,
    ecePooled: run.ecePooled ?? null,
    uncertaintyRatioAt20,
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

/**
 * Keepers of `policy` ÷ keepers of `baseline`, paired by seed (both saw the same candidate pools);
 * null when the baseline is not in the runs. A seed where the baseline found none is left out.
 */
export function pairedRatio(runs: RunRecord[], policy: string, baseline: string, count: (r: RunRecord) => number): Interval | null {
  const base = new Map(runs.filter((r) => r.policy === baseline).map((r) => [r.seed, count(r)]));
  if (base.size === 0) return null;
  return interval(
    runs
      .filter((r) => r.policy === policy && base.has(r.seed))
      .map((r) => {
        const b = base.get(r.seed)!;
        return b > 0 ? count(r) / b : null;
      }),
  );
}

export const allKeepers = (r: RunRecord) => keepersIn(r.batches);
export const first20Keepers = (r: RunRecord) => keepersIn(r.batches.filter((x) => x.batch < 20));

/**
 * Keepers of `policy` summed over users ÷ the same sum for `baseline`, paired by seed (a seed counts
 * when every user has both runs for it); null when some user has no `baseline` run.
 */
export function summedRatioOverUsers(runsPerUser: RunRecord[][], policy: string, baseline: string, count: (r: RunRecord) => number): Interval | null {
  if (runsPerUser.length === 0 || runsPerUser.some((runs) => !runs.some((r) => r.policy === baseline))) return null;
  const seeds = [...new Set(runsPerUser.flatMap((runs) => runs.map((r) => r.seed)))].sort((a, b) => a - b);
  const ratios: (number | null)[] = [];
  for (const seed of seeds) {
    let own = 0;
    let base = 0;
    let complete = true;
    for (const runs of runsPerUser) {
      const p = runs.find((r) => r.policy === policy && r.seed === seed);
      const q = runs.find((r) => r.policy === baseline && r.seed === seed);
      if (!p || !q) complete = false;
      else {
        own += count(p);
        base += count(q);
      }
    }
    if (complete) ratios.push(base > 0 ? own / base : null);
  }
  return interval(ratios);
}

/** Keepers of `policy` summed over users, per seed, as an interval over seeds (null unless every user ran it on that seed). */
export function summedKeepersOverUsers(runsPerUser: RunRecord[][], policy: string, count: (r: RunRecord) => number): Interval | null {
  const seeds = [...new Set(runsPerUser.flatMap((runs) => runs.map((r) => r.seed)))].sort((a, b) => a - b);
  const totals: number[] = [];
  for (const seed of seeds) {
    const found = runsPerUser.map((runs) => runs.find((r) => r.policy === policy && r.seed === seed));
    if (found.every((r) => r !== undefined)) totals.push(found.reduce((s, r) => s + count(r!), 0));
  }
  return totals.length === 0 ? null : meanCI95(totals);
}

export function summarise(runs: RunRecord[], policies: string[]): Record<string, PolicySummary> {
  const out: Record<string, PolicySummary> = {};
  for (const policy of policies) {
    const stats = runs.filter((r) => r.policy === policy).map(runStats);
    if (stats.length === 0) continue;
    out[policy] = {
      cumulativeKeepers: interval(stats.map((s) => s.cumulativeKeepers))!,
      keepersFirst20: interval(stats.map((s) => s.keepersFirst20))!,
      keepersFirst5: interval(stats.map((s) => s.keepersFirst5))!,
      cumulativeRegret: interval(stats.map((s) => s.cumulativeRegret))!,
      ratioVsLinTs: pairedRatio(runs, policy, 'lin-ts', allKeepers),
      ratioVsLinTsFirst20: pairedRatio(runs, policy, 'lin-ts', first20Keepers),
      ratioVsRandom: pairedRatio(runs, policy, 'random', allKeepers),
      ecePooled: interval(stats.map((s) => s.ecePooled)),
      uncertaintyRatioAt20: interval(stats.map((s) => s.uncertaintyRatioAt20)),
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
