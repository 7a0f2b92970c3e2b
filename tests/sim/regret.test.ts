import { describe, expect, it } from 'vitest';
import { simulate } from '../../shared/sim/simulate';
import type { RunRecord, SimReport } from '../../shared/sim/types';
import { plantedOptions } from './helpers';

// Regret is measured against a label-seeing oracle run through the same candidate sampling on the same
// seed: 8 batches of 5 from 200 of the 600 fixture records keep the oracle below the planted
// collector's 61 keepers, so it finds 5 in every batch and regret can only grow for a weak policy.
const OPTS = { seeds: [1, 2, 3], batches: 8, batchSize: 5, poolSize: 200 };
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
const runs = (r: SimReport, policy: string): RunRecord[] => r.runs.filter((x) => x.policy === policy);
const regrets = (run: RunRecord) => run.batches.map((b) => b.regret);

describe('regret against the label-seeing oracle', () => {
  it('is 0 for the oracle, which takes every keeper its candidates hold', async () => {
    const report = await simulate(plantedOptions({ ...OPTS, policies: ['oracle'] }));
    for (const run of runs(report, 'oracle')) {
      expect(regrets(run)).toEqual(run.batches.map(() => 0));
      for (const b of run.batches) expect(b.keepers).toBe(b.bestAvailableKeepers);
      expect(run.batches.every((b) => b.keepers === 5)).toBe(true);
    }
  });

  it('measures every policy of a seed against the same oracle run, so regret compares across policies', async () => {
    const report = await simulate(plantedOptions({ ...OPTS, policies: ['random', 'popularity', 'lin-ts', 'oracle'] }));
    for (const seed of OPTS.seeds) {
      const oracle = report.runs.find((r) => r.policy === 'oracle' && r.seed === seed)!;
      for (const policy of ['random', 'popularity', 'lin-ts']) {
        const run = report.runs.find((r) => r.policy === policy && r.seed === seed)!;
        expect(run.batches.map((b) => b.oracleKeepers)).toEqual(oracle.batches.map((b) => b.keepers));
        // the last batch's regret is the gap in keepers found over the whole run
        const found = (r: RunRecord) => r.batches.reduce((s, b) => s + b.keepers, 0);
        expect(run.batches.at(-1)!.regret).toBe(found(oracle) - found(run));
      }
    }
    expect(report.summary.oracle!.cumulativeRegret.mean).toBe(0);
  });

  it("grows for random, and grows slower for a policy that learns the planted taste", async () => {
    const report = await simulate(plantedOptions({ ...OPTS, policies: ['random', 'lin-ts'] }));
    for (const run of runs(report, 'random')) {
      const r = regrets(run);
      // random finds ~0.5 keeper per batch of 5, the oracle 5: every batch adds regret
      for (let i = 1; i < r.length; i++) expect(r[i]!, `seed ${run.seed}: ${r}`).toBeGreaterThan(r[i - 1]!);
      expect(r.at(-1)!).toBeGreaterThanOrEqual(25);
    }
    const growth = (run: RunRecord, from: number) => run.batches.at(-1)!.regret - run.batches[from]!.regret;
    const rnd = runs(report, 'random');
    const lin = runs(report, 'lin-ts');
    expect(mean(lin.map((r) => r.batches.at(-1)!.regret))).toBeLessThan(0.7 * mean(rnd.map((r) => r.batches.at(-1)!.regret)));
    // once it has labels, lin-ts falls behind the oracle far more slowly than random does
    expect(mean(lin.map((r) => growth(r, 3)))).toBeLessThan(0.5 * mean(rnd.map((r) => growth(r, 3))));
    expect(report.summary['lin-ts']!.cumulativeRegret.mean).toBeLessThan(report.summary.random!.cumulativeRegret.mean);
  });
});
