import { describe, expect, it } from 'vitest';
import { fmtInterval, mergeBins, renderMarkdown, renderPlots, seedVerdict } from '../../shared/sim/report';
import { simulate } from '../../shared/sim/simulate';
import type { PolicySummary } from '../../shared/sim/types';
import { keepersFound, plantedOptions } from './helpers';

const interval = (mean: number, lo: number, hi: number) => ({ mean, lo, hi, n: 5 });
function summaryWith(keepers: ReturnType<typeof interval>): PolicySummary {
  return {
    cumulativeKeepers: keepers,
    keepersFirst20: keepers,
    keepersFirst5: keepers,
    cumulativeRegret: interval(0, 0, 0),
    ratioVsLinTs: null,
    ratioVsLinTsFirst20: null,
    ratioVsRandom: null,
    ecePooled: null,
    uncertaintyRatioAt20: null,
    exploitKeeperRate: null,
    exploreKeeperRate: null,
    exploitKeeperRateLast20: null,
    ece: null,
    auc: null,
    silhouette: null,
    trainMsPerBatch: interval(0, 0, 0),
    selectMsPerBatch: interval(0, 0, 0),
  };
}

describe('simulation report', () => {
  it('says plainly where seed wins, loses or cannot be told apart (non-overlapping 95% intervals)', () => {
    const summary = {
      seed: summaryWith(interval(100, 90, 110)),
      random: summaryWith(interval(40, 35, 45)),
      'lin-ts': summaryWith(interval(150, 140, 160)),
      greedy: summaryWith(interval(105, 95, 115)),
    };
    const lines = seedVerdict(summary, ['random', 'greedy', 'seed', 'lin-ts']);
    expect(lines).toEqual([
      '- `seed` wins against `random` on keepers found: 100.0 [90.0, 110.0] vs 40.0 [35.0, 45.0].',
      '- `seed` is not distinguishable from `greedy` on keepers found: 100.0 [90.0, 110.0] vs 105.0 [95.0, 115.0].',
      '- `seed` loses to `lin-ts` on keepers found: 100.0 [90.0, 110.0] vs 150.0 [140.0, 160.0].',
    ]);
  });

  it('formats intervals without "-0"', () => {
    expect(fmtInterval({ mean: 0, lo: -0.0001, hi: 0.0001, n: 3 }, 1)).toBe('0.0 [0.0, 0.0]');
    expect(fmtInterval({ mean: 2, lo: 2, hi: 2, n: 1 })).toBe('2.0');
    expect(fmtInterval(null)).toBe('–');
  });

  it('merges reliability bins over runs weighted by their counts', () => {
    const merged = mergeBins([
      [{ lo: 0, hi: 0.5, count: 10, meanProb: 0.2, fracPositive: 0.1 }],
      [{ lo: 0, hi: 0.5, count: 30, meanProb: 0.4, fracPositive: 0.3 }],
    ]);
    expect(merged[0]!.count).toBe(40);
    expect(merged[0]!.meanProb).toBeCloseTo(0.35, 10);
    expect(merged[0]!.fracPositive).toBeCloseTo(0.25, 10);
  });

  it('renders the table and every plot of a real (small) simulation', async () => {
    const report = await simulate(plantedOptions({ policies: ['random', 'lin-ts'], seeds: [1, 2], batches: 5 }));
    const plots = renderPlots(report);
    expect(Object.keys(plots).sort()).toEqual(['cumulative-keepers.svg', 'cumulative-regret.svg', 'exploration-rate.svg', 'keeper-rate.svg', 'reliability.svg']);
    // one exploit and one explore line for lin-ts, explore only for random
    expect(plots['keeper-rate.svg']!.match(/<path /g)).toHaveLength(3);
    const md = renderMarkdown(report, Object.keys(plots), 'npm run sim -- --keepers x');
    expect(md).toContain('| policy | keepers found | regret vs oracle |');
    expect(md).toMatch(/\| lin-ts \| \d+\.\d \[/);
    expect(md).toContain('![cumulative-keepers.svg](cumulative-keepers.svg)');
    expect(md).toContain('npm run sim -- --keepers x');
  });
});

describe('merging runs of several invocations', () => {
  it('merges a challenger run into the baselines of the same seeds and re-summarises', async () => {
    const { mergeReports } = await import('../../shared/sim/combine');
    const baselines = await simulate(plantedOptions({ policies: ['random'], seeds: [1, 2], batches: 3 }));
    const challenger = await simulate(plantedOptions({ policies: ['lin-ts'], seeds: [1, 2], batches: 3 }));
    const merged = mergeReports([baselines, challenger]);
    expect(merged.policy).toEqual(['random', 'lin-ts']);
    expect(merged.runs).toHaveLength(4);
    expect(merged.summary['lin-ts']!.cumulativeKeepers).toEqual(challenger.summary['lin-ts']!.cumulativeKeepers);
    // merged with random, lin-ts's keepers can now be set against random's, seed by seed
    expect(challenger.summary['lin-ts']!.ratioVsRandom).toBeNull();
    const lin = keepersFound(challenger, 'lin-ts');
    const rnd = keepersFound(baselines, 'random');
    expect(merged.summary['lin-ts']!.ratioVsRandom!.n).toBe(2);
    expect(merged.summary['lin-ts']!.ratioVsRandom!.mean).toBeCloseTo((lin[0]! / rnd[0]! + lin[1]! / rnd[1]!) / 2, 10);
    const other = await simulate(plantedOptions({ policies: ['lin-ts'], seeds: [3], batches: 3 }));
    expect(() => mergeReports([baselines, other])).toThrow(/different settings/);
  });
});
