// `random`: picks uniformly among the candidates. Every pick counts as exploration.
import { createRng, deriveSeed, shuffled } from '../rng';
import type { Policy, PolicyFactory } from '../policy';

export const createRandomPolicy: PolicyFactory = async (_world, seed) => {
  const rng = createRng(deriveSeed(seed, 0x5a11));
  const policy: Policy = {
    name: 'random',
    async select(candidates, _batchNumber, batchSize) {
      const order = shuffled(candidates.map((_, i) => i), rng);
      const scores = new Float64Array(candidates.length);
      order.forEach((pos, rank) => (scores[pos] = candidates.length - rank));
      return {
        picks: order.slice(0, batchSize).map((pos) => ({ index: candidates[pos] as number, strategy: 'explore' as const })),
        exploreRate: 1,
        probs: null,
        scores,
        uncertainty: null,
      };
    },
    async update() {},
    dispose() {},
  };
  return policy;
};
