import { describe, expect, it } from 'vitest';
import { buildWorld, hiddenUntilMidRun, sampleCandidates } from '../../shared/sim/engine';
import { loadPool } from '../../shared/sim/data';
import { simulate } from '../../shared/sim/simulate';
import { runStats } from '../../shared/sim/summary';
import { keepersFound, plantedOptions, withoutTimings, fixture } from './helpers';

const BATCH_FIELDS = [
  'batch', 'exploreRate', 'nExplore', 'nExploit', 'exploitKeepers', 'exploreKeepers', 'keepers', 'bestAvailableKeepers', 'oracleKeepers', 'regret',
  'ece', 'auc', 'silhouette', 'meanUncertaintyLabelled', 'meanUncertaintyUnlabelled', 'diversity', 'novelty', 'trainMs', 'selectMs', 'pickedIds',
];
const SUMMARY_FIELDS = ['cumulativeKeepers', 'cumulativeRegret', 'exploitKeeperRate', 'exploreKeeperRate', 'exploitKeeperRateLast20', 'ece', 'auc', 'silhouette'];

describe('simulator engine (baselines, synthetic planted taste)', () => {
  it('gives every policy the same candidate pools for a seed, different ones for another seed', () => {
    const a = sampleCandidates(600, 1, 3, 50, () => false);
    expect(sampleCandidates(600, 1, 3, 50, () => false)).toEqual(a);
    expect(sampleCandidates(600, 2, 3, 50, () => false)).not.toEqual(a);
    // Labelled records are skipped; the rest keeps its order.
    const skip = new Set(a.slice(0, 10));
    expect(sampleCandidates(600, 1, 3, 40, (i) => skip.has(i))).toEqual(a.slice(10));
  });

  it('writes every field of the report, with consistent counts', async () => {
    const report = await simulate(plantedOptions({ policies: ['random', 'popularity', 'lin-ts'] }));
    expect(report.policy).toEqual(['random', 'popularity', 'lin-ts']);
    expect(report.seeds).toEqual([1, 2]);
    expect(report.scenario).toBe('stationary');
    expect(report.user).toBe('planted');
    expect(report.runs).toHaveLength(6);
    for (const run of report.runs) {
      expect(run.batches).toHaveLength(8);
      for (const b of run.batches) {
        expect(Object.keys(b).sort()).toEqual([...BATCH_FIELDS].sort());
        expect(b.nExplore + b.nExploit).toBe(10);
        expect(b.keepers).toBe(b.exploitKeepers + b.exploreKeepers);
        // no pick can find more keepers than its own batch's candidates hold
        expect(b.keepers).toBeLessThanOrEqual(b.bestAvailableKeepers);
        expect(b.novelty).toBeGreaterThanOrEqual(0);
        expect(b.novelty).toBeLessThanOrEqual(1);
        expect(b.diversity).toBeGreaterThan(0);
      }
    }
    for (const p of report.policy) expect(Object.keys(report.summary[p]!)).toEqual(expect.arrayContaining(SUMMARY_FIELDS));
    // lin-ts has probabilities (ECE) and its own uncertainty; random has neither.
    const lin = report.runs.find((r) => r.policy === 'lin-ts')!;
    expect(lin.batches[3]!.ece).not.toBeNull();
    expect(lin.batches[3]!.meanUncertaintyLabelled).not.toBeNull();
    expect(lin.reliability).not.toBeNull();
    expect(report.runs.find((r) => r.policy === 'random')!.batches[3]!.ece).toBeNull();
    expect(report.summary['lin-ts']!.cumulativeKeepers.n).toBe(2);
  });

  it('gives the same report for the same seed', async () => {
    const a = await simulate(plantedOptions());
    const b = await simulate(plantedOptions());
    expect(withoutTimings(b)).toEqual(withoutTimings(a));
    const c = await simulate(plantedOptions({ seeds: [3, 4] }));
    expect(keepersFound(c, 'random')).not.toEqual(keepersFound(a, 'random'));
  });

  it('learns a planted taste: lin-ts finds far more keepers than random, and its labelled uncertainty falls below the unlabelled', async () => {
    const report = await simulate(plantedOptions({ seeds: [1, 2, 3] }));
    const lin = keepersFound(report, 'lin-ts');
    const rnd = keepersFound(report, 'random');
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean(lin)).toBeGreaterThan(2 * mean(rnd));
    const last = report.runs.find((r) => r.policy === 'lin-ts')!.batches.at(-1)!;
    expect(last.meanUncertaintyLabelled!).toBeLessThan(last.meanUncertaintyUnlabelled!);
    expect(runStats(report.runs.find((r) => r.policy === 'lin-ts')!).auc!).toBeGreaterThan(0.7);
  });

  it('switches the taste mid-run in the shift scenario', async () => {
    const report = await simulate(plantedOptions({ scenario: 'shift', shiftUser: 'jazzfan', policies: ['random'], seeds: [1], batches: 10, batchSize: 30 }));
    const run = report.runs[0]!;
    // jazzfan keeps twice as many records as planted (~40 vs ~20 of 200 candidates): the best available rises after the switch at batch 5.
    const before = run.batches.slice(0, 5).reduce((s, b) => s + b.bestAvailableKeepers, 0);
    const after = run.batches.slice(5).reduce((s, b) => s + b.bestAvailableKeepers, 0);
    expect(after).toBeGreaterThan(before);
  });

  it('keeps the new artists out of the candidates until mid-run', async () => {
    const world = buildWorld(await loadPool([fixture('pool.jsonl')]));
    const hidden = hiddenUntilMidRun(world, 1);
    const share = hidden.reduce((s: number, v) => s + v, 0) / hidden.length;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(0.5);
    const report = await simulate(plantedOptions({ scenario: 'new-artists', policies: ['random'], seeds: [1], batches: 6, batchSize: 30 }));
    const hiddenIds = new Set(world.pool.filter((_, i) => hidden[i] === 1).map((r) => r.id));
    const picksOf = (from: number, to: number) => report.runs[0]!.batches.slice(from, to).flatMap((b) => b.pickedIds);
    expect(picksOf(0, 3).filter((id) => hiddenIds.has(id))).toEqual([]);
    expect(picksOf(3, 6).filter((id) => hiddenIds.has(id)).length).toBeGreaterThan(10);
  });
});
