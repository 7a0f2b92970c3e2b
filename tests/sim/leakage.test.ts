import { describe, expect, it } from 'vitest';
import { importedKeepers, runPolicy, type RunSpec } from '../../shared/sim/engine';
import { createRng, shuffled } from '../../shared/sim/rng';
import { prepareUser, type PreparedUser } from '../../shared/sim/simulate';
import type { Scenario } from '../../shared/sim/types';
import { plantedOptions } from './helpers';

// Label leakage: a policy may learn a label only when the record was picked (or imported). So if the
// hidden labels of every record that was never picked are permuted among themselves, every pick of a
// run must stay the same, batch for batch. The test fails when a policy, or the engine, reads labels it
// should not (the oracle, which reads them by design, is the control that shows the test can fail).

async function prepared(scenario: Scenario = 'stationary'): Promise<PreparedUser> {
  return prepareUser(plantedOptions({ scenario }));
}

function specFor(p: PreparedUser, policy: string, over: Partial<RunSpec> = {}): RunSpec {
  return {
    world: p.world,
    keepers: p.keepers,
    shiftKeepers: null,
    scenario: 'stationary',
    policy,
    seed: 7,
    batches: 5,
    batchSize: 10,
    poolSize: 150,
    // popularity's prior leaves the collector's own lists out of its counts: that is data about other
    // collectors, not a label a pick reveals, so it stays as it is in both runs
    ownLists: p.keepers,
    ...over,
  };
}

/** The keeper flags with those of the never-picked (and never-imported) records shuffled among themselves. */
function permuteUnpicked(keepers: Uint8Array, keep: Set<number>, seed: number): { flags: Uint8Array; changed: number } {
  const free = [...keepers.keys()].filter((i) => !keep.has(i));
  const values = shuffled(free.map((i) => keepers[i]!), createRng(seed));
  const flags = keepers.slice();
  free.forEach((i, k) => (flags[i] = values[k]!));
  return { flags, changed: flags.reduce((s: number, v, i) => s + (v !== keepers[i] ? 1 : 0), 0) };
}

async function picksBeforeAndAfter(p: PreparedUser, spec: RunSpec): Promise<{ before: number[][]; after: number[][]; changed: number }> {
  const first = await runPolicy(spec);
  const indexOf = new Map(p.world.pool.map((r, i) => [r.id, i]));
  const keep = new Set<number>(first.batches.flatMap((b) => b.pickedIds.map((id) => indexOf.get(id)!)));
  for (const i of spec.imported ?? []) keep.add(i);
  const { flags, changed } = permuteUnpicked(spec.keepers, keep, 0xbeef);
  const second = await runPolicy({ ...spec, keepers: flags });
  return { before: first.batches.map((b) => b.pickedIds), after: second.batches.map((b) => b.pickedIds), changed };
}

describe('no label leakage: permuting the labels of never-picked records changes no pick', () => {
  it.each(['random', 'popularity', 'lin-ts'])('%s', async (policy) => {
    const p = await prepared();
    const { before, after, changed } = await picksBeforeAndAfter(p, specFor(p, policy));
    expect(changed).toBeGreaterThan(40); // the permutation really moves labels (61 keepers among 600)
    expect(before).toHaveLength(5);
    expect(after).toEqual(before);
  });

  it.each(['seed', 'neural-ts'])('%s (the product model, 3 batches)', { timeout: 120_000 }, async (policy) => {
    const p = await prepared();
    const { before, after, changed } = await picksBeforeAndAfter(p, specFor(p, policy, { batches: 3, poolSize: 100 }));
    expect(changed).toBeGreaterThan(40);
    expect(before).toHaveLength(3);
    expect(after).toEqual(before);
  });

  it.each(['lin-ts', 'neural-ts'])('%s with a warm start (the imported keepers keep their labels)', { timeout: 120_000 }, async (policy) => {
    const p = await prepared('warm-start');
    const imported = importedKeepers(p.keepers, 7);
    const { before, after, changed } = await picksBeforeAndAfter(p, specFor(p, policy, { scenario: 'warm-start', imported, batches: 3, poolSize: 100 }));
    expect(changed).toBeGreaterThan(20);
    expect(before).toHaveLength(3);
    expect(after).toEqual(before);
  });

  it('control: the oracle, which reads the hidden labels, does change its picks', async () => {
    const p = await prepared();
    const { before, after } = await picksBeforeAndAfter(p, specFor(p, 'oracle'));
    expect(after).not.toEqual(before);
  });
});
