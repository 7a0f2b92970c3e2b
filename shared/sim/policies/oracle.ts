// `oracle`: sees the hidden labels and picks the batch's keepers first (in candidate order, then the
// other candidates in candidate order). It runs through the same candidate sampling as every policy,
// so its cumulative keepers on a seed are what regret is measured against. Not a learner: a yardstick.
import type { Policy, PolicyFactory } from '../policy';

export const createOraclePolicy: PolicyFactory = async (_world, _seed, opts = {}) => {
  const labelsAt = opts.labelsAt;
  if (!labelsAt) throw new Error('the oracle policy needs the hidden labels (PolicyOptions.labelsAt)');
  const policy: Policy = {
    name: 'oracle',
    async select(candidates, batchNumber, batchSize) {
      const labels = labelsAt(batchNumber);
      const keepers = candidates.filter((i) => labels[i] === 1);
      const others = candidates.filter((i) => labels[i] !== 1);
      const picks = [...keepers, ...others].slice(0, batchSize).map((index) => ({ index, strategy: 'exploit' as const }));
      return {
        picks,
        exploreRate: 0,
        probs: null,
        scores: Float64Array.from(candidates, (i) => labels[i] ?? 0),
        uncertainty: null,
      };
    },
    async update() {},
    dispose() {},
  };
  return policy;
};
