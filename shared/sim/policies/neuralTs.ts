// `neural-ts`, the product's default learner (shared/bandit/learner.ts) in the simulator: the same
// model, the same update and the same Thompson selection the backend runs.
import { encodeReleases } from '../../features';
import { KeepersModel } from '../../model';
import { configForPolicy, learn, selectThompson, type SourcedLabel } from '../../bandit';
import { deriveSeed } from '../rng';
import type { LabelledIndex, Policy, PolicyFactory, SimWorld } from '../policy';
import { ensureTf } from './model';

function toLabelled(world: SimWorld, items: LabelledIndex[]): SourcedLabel[] {
  return items.map(({ index, keeper }) => ({ release: world.pool[index]!, keeper, source: 'user' as const }));
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
    async update(batch, history, batchNumber) {
      await learn(model, { batch: toLabelled(world, batch), history: toLabelled(world, history), batchNumber }, { seed: deriveSeed(seed, batchNumber, 0x0b) });
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
