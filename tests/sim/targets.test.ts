import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../shared/bandit/learner';
import { ece } from '../../shared/metrics';
import { parseCliArgs, USAGE } from '../../shared/sim/cli';
import { POOLED_ECE_FROM, runPolicy, sampleCandidates } from '../../shared/sim/engine';
import { popularityScores } from '../../shared/sim/policies/popularity';
import { policyFactory } from '../../shared/sim/policies';
import type { Policy, PolicyFactory } from '../../shared/sim/policy';
import { comparisonMarkdown, comparisonSummary, renderMarkdown, renderPlots } from '../../shared/sim/report';
import { prepareUser, simulate } from '../../shared/sim/simulate';
import { summedRatioOverUsers } from '../../shared/sim/summary';
import type { BatchRecord, RunRecord, SimReport } from '../../shared/sim/types';
import type { Release } from '../../shared/schemas';
import { fixture, keepersFound, plantedOptions } from './helpers';

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

describe('--policy default', () => {
  it('resolves to the product default learner (shared/bandit/learner.ts) and says so', () => {
    const o = parseCliArgs(['--keepers', fixture('collections.jsonl'), '--pool', fixture('pool.jsonl'), '--policy', 'default,random', '--policy', DEFAULT_POLICY]);
    expect(o.sim.policies).toEqual([DEFAULT_POLICY, 'random']);
    expect(USAGE).toContain(`default = what the product runs by default (now ${DEFAULT_POLICY})`);
    expect(USAGE).toMatch(/--compare .*neural-ts/s);
  });

  it('labels the default learner "default (<name>)" in the report and its plots', async () => {
    expect(await policyFactory('default')).toBe(await policyFactory(DEFAULT_POLICY));
    // a cheap stand-in: a report whose default learner is recorded as lin-ts
    const report = await simulate(plantedOptions({ policies: ['random', 'lin-ts'], seeds: [1], batches: 3 }));
    expect(report.settings.defaultPolicy).toBe(DEFAULT_POLICY);
    report.settings.defaultPolicy = 'lin-ts';
    const md = renderMarkdown(report, [], null);
    expect(md).toMatch(/\| default \(lin-ts\) \| \d+/);
    expect(md).toContain("the product's default learner is lin-ts");
    expect(renderPlots(report)['cumulative-keepers.svg']).toContain('default (lin-ts)');
  });
});

describe('popularity prior without the target collector', () => {
  const rec = (id: number, style: string): Release => ({
    id, masterId: null, title: `t${id}`, artists: [`a${id}`], labels: [], year: null, released: null, country: null,
    genres: ['Electronic'], styles: [style], formats: [], community: { have: null, want: null, rating: null, ratingCount: null }, lowestPrice: null, thumb: null,
  });

  it("leaves the target's own records out of the style and label counts", () => {
    // 6 Techno records, all in the target's list, and 3 Ambient ones that are not
    const pool = [...[1, 2, 3, 4, 5, 6].map((i) => rec(i, 'Techno')), ...[7, 8, 9].map((i) => rec(i, 'Ambient'))];
    const own = Uint8Array.from(pool, (r) => (r.styles[0] === 'Techno' ? 1 : 0));
    const inflated = popularityScores(pool);
    expect(inflated[0]!).toBeGreaterThan(inflated[6]!);
    const fair = popularityScores(pool, own);
    expect(fair[0]!).toBe(0);
    expect(fair[6]!).toBeCloseTo(Math.log1p(3), 12);
  });

  it("gets the target's lists from the engine", async () => {
    const p = await prepareUser(plantedOptions());
    const run = await runPolicy({ world: p.world, keepers: p.keepers, shiftKeepers: null, scenario: 'stationary', policy: 'popularity', seed: 4, batches: 1, batchSize: 10, poolSize: 200 });
    const candidates = sampleCandidates(p.world.pool.length, 4, 0, 200, () => false);
    const fair = popularityScores(p.world.pool, p.keepers);
    const best = candidates.slice().sort((a, b) => fair[b]! - fair[a]! || candidates.indexOf(a) - candidates.indexOf(b)).slice(0, 10);
    expect(run.batches[0]!.pickedIds).toEqual(best.map((i) => p.world.pool[i]!.id));
  });
});

describe('the figures the targets are read off', () => {
  it('keepers in batches 0–4 and 0–19, and ratios paired by seed against lin-ts and random', async () => {
    const report = await simulate(plantedOptions({ policies: ['random', 'lin-ts'], seeds: [1, 2, 3], batches: 8 }));
    const lin = report.summary['lin-ts']!;
    const rnd = report.summary.random!;
    const first5 = (r: RunRecord) => r.batches.slice(0, 5).reduce((s, b) => s + b.keepers, 0);
    expect(lin.keepersFirst5.mean).toBeCloseTo(mean(report.runs.filter((r) => r.policy === 'lin-ts').map(first5)), 10);
    expect(lin.keepersFirst5.mean).toBeLessThan(lin.cumulativeKeepers.mean);
    // 8 batches: the first 20 are all of them
    expect(lin.keepersFirst20).toEqual(lin.cumulativeKeepers);
    expect(lin.ratioVsLinTs!.mean).toBe(1);
    expect(rnd.ratioVsRandom!.mean).toBe(1);
    const l = keepersFound(report, 'lin-ts');
    const r = keepersFound(report, 'random');
    expect(lin.ratioVsRandom!.mean).toBeCloseTo(mean(l.map((x, i) => x / r[i]!)), 10);
    expect(lin.ratioVsRandom!.mean).toBeGreaterThan(2);
    expect(rnd.ratioVsLinTs!.mean).toBeLessThan(0.5);
  });

  it('sums keepers over users before dividing', () => {
    const run = (policy: string, seed: number, keepers: number): RunRecord => ({
      policy, seed, reliability: null, ecePooled: null, imported: 0,
      batches: [{ batch: 0, keepers } as BatchRecord],
    });
    const userA = [run('lin-ts', 1, 10), run('neural-ts', 1, 20)];
    const userB = [run('lin-ts', 1, 30), run('neural-ts', 1, 10)];
    // (20 + 10) / (10 + 30), not the mean of 2 and 1/3
    expect(summedRatioOverUsers([userA, userB], 'neural-ts', 'lin-ts', (x) => x.batches[0]!.keepers)!.mean).toBeCloseTo(0.75, 12);
    expect(summedRatioOverUsers([userA, [run('neural-ts', 1, 10)]], 'neural-ts', 'lin-ts', (x) => x.batches[0]!.keepers)).toBeNull();
  });

  it('pools ECE over the candidate predictions of batches 10 and later', async () => {
    const p = await prepareUser(plantedOptions());
    // a policy that always predicts 0.3: its pooled ECE is |0.3 − the keeper share of the pooled candidates|
    const pooledCandidates: number[] = [];
    const constant: PolicyFactory = async (world, seed, opts) => {
      const inner = await (await policyFactory('random'))(world, seed, opts);
      const policy: Policy = {
        ...inner,
        async select(candidates, b, size) {
          if (b >= POOLED_ECE_FROM) pooledCandidates.push(...candidates);
          return { ...(await inner.select(candidates, b, size)), probs: new Float64Array(candidates.length).fill(0.3) };
        },
      };
      return policy;
    };
    const spec = { world: p.world, keepers: p.keepers, shiftKeepers: null, scenario: 'stationary' as const, policy: 'constant', seed: 2, batchSize: 10, poolSize: 100, factory: constant };
    const run = await runPolicy({ ...spec, batches: 13 });
    const share = mean(pooledCandidates.map((i) => p.keepers[i]!));
    expect(pooledCandidates).toHaveLength(300);
    expect(run.ecePooled!).toBeCloseTo(Math.abs(0.3 - share), 10);
    expect(run.ecePooled!).toBeCloseTo(ece(pooledCandidates.map(() => 0.3), pooledCandidates.map((i) => p.keepers[i]!)), 10);
    expect((await runPolicy({ ...spec, batches: 10 })).ecePooled).toBeNull();
  });

  it('compares the uncertainty of labelled records with that of unseen candidates at batch 20 (lin-ts: below 1)', async () => {
    const report = await simulate(plantedOptions({ policies: ['random', 'lin-ts'], seeds: [1, 2], batches: 21, batchSize: 5, poolSize: 100 }));
    const lin = report.summary['lin-ts']!;
    expect(lin.uncertaintyRatioAt20!.n).toBe(2);
    expect(lin.uncertaintyRatioAt20!.mean).toBeLessThan(0.9);
    expect(report.summary.random!.uncertaintyRatioAt20).toBeNull();
    const short = await simulate(plantedOptions({ policies: ['lin-ts'], seeds: [1], batches: 20, batchSize: 5, poolSize: 100 }));
    expect(short.summary['lin-ts']!.uncertaintyRatioAt20).toBeNull();
  });

  it('writes them into the multi-user comparison, with sums over users', async () => {
    const reports: SimReport[] = [];
    for (const user of ['planted', 'genrefan']) reports.push(await simulate(plantedOptions({ user, policies: ['random', 'lin-ts'], seeds: [1, 2], batches: 6 })));
    const cmp = comparisonSummary(reports);
    expect(cmp.users.map((u) => u.user)).toEqual(['planted', 'genrefan']);
    const total = (policy: string, seed: number) => reports.reduce((s, r) => s + r.runs.find((x) => x.policy === policy && x.seed === seed)!.batches.reduce((t, b) => t + b.keepers, 0), 0);
    expect(cmp.summedOverUsers.random!.ratioVsLinTs!.mean).toBeCloseTo((total('random', 1) / total('lin-ts', 1) + total('random', 2) / total('lin-ts', 2)) / 2, 10);
    const md = comparisonMarkdown(reports, 'npm run sim -- x');
    for (const title of ['Keepers found in batches 0–19:', 'Keepers found in batches 0–4:', "Keepers ÷ lin-ts's, all batches", "Keepers ÷ random's", 'ECE over the candidate predictions of batches 10–50', 'labelled records ÷ that of unseen candidates at batch 20', 'Regret against the label-seeing oracle']) {
      expect(md).toContain(title);
    }
    expect(md).toMatch(/\| all users, summed \| .*\|/);
  });
});
