// `neural-ts`, the product's default learner (shared/bandit/learner.ts) in the simulator: the same
// model, the same update and the same Thompson selection the backend runs.
import { encodeReleases } from '../../features';
import { KeepersModel } from '../../model';
import { configForPolicy, learn, selectThompson, type SourcedLabel } from '../../bandit';
import { createRng, deriveSeed } from '../rng';
import type { Release } from '../../schemas';
import type { LabelledIndex, Policy, PolicyFactory, SimWorld } from '../policy';
import { ensureTf } from './model';

/** Labels as the learner sees them: an imported keeper in its CSV-export view, with its source. */
function toLabelled(world: SimWorld, items: LabelledIndex[]): SourcedLabel[] {
  return items.map(({ index, keeper, source, release }) => ({ release: release ?? world.pool[index]!, keeper, source: source ?? 'user' }));
}

/** Records to contrast imported keepers with (positive–unlabelled learning), as the backend samples them. */
const UNLABELLED_SAMPLE = 1000;

function unlabelledSample(world: SimWorld, labelled: LabelledIndex[], seed: number): Release[] {
  const taken = new Set(labelled.map((l) => l.index));
  const rng = createRng(seed);
  const out: Release[] = [];
  const n = world.pool.length;
  for (let tries = 0; out.length < UNLABELLED_SAMPLE && tries < 4 * UNLABELLED_SAMPLE; tries++) {
    const i = Math.floor(rng() * n);
    if (!taken.has(i)) {
      taken.add(i);
      out.push(world.pool[i]!);
    }
  }
  return out;
}

export const createNeuralTsPolicy: PolicyFactory = async (world, seed, opts = {}) => {
  await ensureTf();
  const model = KeepersModel.create(configForPolicy('neural-ts', (opts.modelConfig ?? {}) as never), seed);
  const policy: Policy = {
    name: 'neural-ts',
    async select(candidates, batchNumber, batchSize) {
      const releases = candidates.map((i) => world.pool[i]!);
      const sel = selectThompson(model, releases, { batchSize, seed: deriveSeed(seed, batchNumber, 0x75) });
      const pos = new Map(releases.map((r, i) => [r.id, i]));
      return {
        picks: sel.items.map((it) => ({ index: candidates[pos.get(it.releaseId)!]!, strategy: it.strategy })),
        exploreRate: sel.exploreRate,
        probs: Float64Array.from(sel.predictions, (p) => p.mean),
        scores: null,
        uncertainty: Float64Array.from(sel.predictions, (p) => p.uncertainty),
      };
    },
    async warmStart(imported) {
      await learn(model, { batch: [], history: toLabelled(world, imported), batchNumber: 0, unlabelled: unlabelledSample(world, imported, deriveSeed(seed, 0x1a)) }, { seed: deriveSeed(seed, 0x1b) });
    },
    async update(batch, history, batchNumber) {
      const imports = history.some((h) => h.source === 'import');
      const unlabelled = imports ? unlabelledSample(world, [...history, ...batch], deriveSeed(seed, batchNumber, 0x1a)) : undefined;
      await learn(model, { batch: toLabelled(world, batch), history: toLabelled(world, history), batchNumber, unlabelled }, { seed: deriveSeed(seed, batchNumber, 0x0b) });
    },
    async uncertaintyOf(indices) {
      const { predict } = await import('../../model');
      return predict(model, encodeReleases(indices.map((i) => world.pool[i]!))).map((p) => p.uncertainty);
    },
    embeddingsOf(indices) {
      const t = model.embed(encodeReleases(indices.map((i) => world.pool[i]!)));
      const rows = t.arraySync() as number[][];
      t.dispose();
      return rows;
    },
    dispose() {
      model.dispose();
    },
  };
  return policy;
};
