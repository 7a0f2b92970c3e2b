// `popularity`: a non-personal prior that never learns. Community have + want where Discogs gave
// them; otherwise how common the record's styles (or genres) and label are among the pool's records
// that are NOT in the target collector's own lists: the pool is built from collectors' lists, so
// counting the target's records would hand the prior the target's own taste.
import { topIndices, type Policy, type PolicyFactory } from '../policy';
import type { Release } from '../../schemas';

/** `ownLists[i] === 1` leaves pool record i out of the counts (it still gets a score). */
export function popularityScores(pool: Release[], ownLists?: Uint8Array): Float64Array {
  const styleCount = new Map<string, number>();
  const labelCount = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const [i, r] of pool.entries()) {
    if (ownLists?.[i] === 1) continue;
    for (const s of r.styles.length > 0 ? r.styles : r.genres) bump(styleCount, s);
    const label = r.labels[0]?.name;
    if (label) bump(labelCount, label);
  }
  return Float64Array.from(pool, (r) => {
    const { have, want } = r.community;
    // Community counts, when known, dominate: they are the real popularity signal.
    if (have !== null || want !== null) return 100 + Math.log1p((have ?? 0) + (want ?? 0));
    const tags = r.styles.length > 0 ? r.styles : r.genres;
    const tagScore = tags.length === 0 ? 0 : tags.reduce((s, t) => s + Math.log1p(styleCount.get(t) ?? 0), 0) / tags.length;
    const label = r.labels[0]?.name;
    return tagScore + (label ? Math.log1p(labelCount.get(label) ?? 0) : 0);
  });
}

export const createPopularityPolicy: PolicyFactory = async (world, _seed, opts = {}) => {
  const prior = popularityScores(world.pool, opts.ownLists);
  const policy: Policy = {
    name: 'popularity',
    async select(candidates, _batchNumber, batchSize) {
      const scores = Float64Array.from(candidates, (i) => prior[i] as number);
      return {
        picks: topIndices(scores, batchSize).map((pos) => ({ index: candidates[pos] as number, strategy: 'exploit' as const })),
        exploreRate: 0,
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
