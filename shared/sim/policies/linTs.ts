// `lin-ts`: linear Thompson sampling on the hashed one-hot hand features (genres, styles, artist,
// label, half-decade, bias). Bayesian linear regression with prior N(0, v²/λ I):
//   A = λI + Σ x xᵀ (its inverse kept up to date with Sherman–Morrison), b = Σ y x, θ̂ = A⁻¹ b.
// Each of the batch's slots draws its own θ̃ ~ N(θ̂, v² A⁻¹) by perturbation,
//   θ̃ = A⁻¹ (b + v (√λ z + Σ ε_i x_i)),  z ~ N(0, I), ε ~ N(0, 1) per label,
// which has exactly that covariance and needs no Cholesky factor of a 1024 × 1024 matrix.
// A pick counts as `exploit` when it is also among the top picks by posterior mean, else `explore`.
// Imported keepers (warm start) are learned as keeper labels from the features their CSV view has
// (artist, label, half-decade: the export has no genres or styles).
import { HAND_DIM, handFeatureIndices } from '../handFeatures';
import { createRng, deriveSeed, gaussian } from '../rng';
import { argmaxUnchosen } from './argmax';
import { topIndices, type LabelledIndex, type Policy, type PolicyFactory } from '../policy';

// v picked from {0.03, 0.1, 0.3} on two canonical users (tylergaw, jayjonesdev): smaller explores enough here.
export const LIN_TS_DEFAULTS = { lambda: 1, v: 0.03 };

export function createLinTsPolicyWith(params: { lambda: number; v: number }): PolicyFactory {
  return async (world, seed) => {
    const d = HAND_DIM;
    const { lambda, v } = params;
    const rng = createRng(deriveSeed(seed, 0x7155));
    const ainv = new Float64Array(d * d);
    for (let i = 0; i < d; i++) ainv[i * d + i] = 1 / lambda;
    const b = new Float64Array(d);
    const seen: Int32Array[] = [];

    const times = (vec: Float64Array): Float64Array => {
      const out = new Float64Array(d);
      for (let i = 0; i < d; i++) {
        let s = 0;
        const row = i * d;
        for (let j = 0; j < d; j++) s += (ainv[row + j] as number) * (vec[j] as number);
        out[i] = s;
      }
      return out;
    };
    const dot = (theta: Float64Array, x: Int32Array) => {
      let s = 0;
      for (const k of x) s += theta[k] as number;
      return s;
    };
    const variance = (x: Int32Array) => {
      let s = 0;
      for (const i of x) for (const j of x) s += ainv[i * d + j] as number;
      return Math.max(0, s);
    };

    const policy: Policy = {
      name: 'lin-ts',
      async select(candidates, _batchNumber, batchSize) {
        const theta = times(b);
        const xs = candidates.map((i) => world.hand[i] as Int32Array);
        const means = Float64Array.from(xs, (x) => dot(theta, x));
        const uncertainty = Float64Array.from(xs, (x) => v * Math.sqrt(variance(x)));
        const greedyTop = new Set(topIndices(means, batchSize));
        const chosen = new Set<number>();
        const picks: { index: number; strategy: 'exploit' | 'explore' }[] = [];
        for (let slot = 0; slot < Math.min(batchSize, candidates.length); slot++) {
          const noise = new Float64Array(d);
          for (let j = 0; j < d; j++) noise[j] = Math.sqrt(lambda) * gaussian(rng);
          for (const x of seen) {
            const e = gaussian(rng);
            for (const k of x) noise[k] = (noise[k] as number) + e;
          }
          for (let j = 0; j < d; j++) noise[j] = (b[j] as number) + v * (noise[j] as number);
          const sample = times(noise);
          const best = argmaxUnchosen(xs.length, chosen, (pos) => dot(sample, xs[pos] as Int32Array));
          chosen.add(best);
          picks.push({ index: candidates[best] as number, strategy: greedyTop.has(best) ? 'exploit' : 'explore' });
        }
        const nExplore = picks.filter((p) => p.strategy === 'explore').length;
        const probs = Float64Array.from(means, (m) => Math.min(1, Math.max(0, m)));
        return { picks, exploreRate: picks.length > 0 ? nExplore / picks.length : 0, probs, scores: means, uncertainty };
      },
      async warmStart(imported) {
        learn(imported);
      },
      async update(batch) {
        learn(batch);
      },
      async uncertaintyOf(indices) {
        return indices.map((i) => v * Math.sqrt(variance(world.hand[i] as Int32Array)));
      },
      dispose() {},
    };
    /** Adds labels to the posterior; a label's features come from the record as the learner saw it. */
    function learn(items: LabelledIndex[]) {
      for (const { index, keeper, release } of items) {
        const x = release ? handFeatureIndices(release, d) : (world.hand[index] as Int32Array);
        // Sherman–Morrison: (A + x xᵀ)⁻¹ = A⁻¹ − (A⁻¹x)(A⁻¹x)ᵀ / (1 + xᵀA⁻¹x)
        const u = new Float64Array(d);
        for (const k of x) for (let i = 0; i < d; i++) u[i] = (u[i] as number) + (ainv[i * d + k] as number);
        let denom = 1;
        for (const k of x) denom += u[k] as number;
        for (let i = 0; i < d; i++) {
          const ui = (u[i] as number) / denom;
          if (ui === 0) continue;
          const row = i * d;
          for (let j = 0; j < d; j++) ainv[row + j] = (ainv[row + j] as number) - ui * (u[j] as number);
        }
        if (keeper) for (const k of x) b[k] = (b[k] as number) + 1;
        seen.push(x);
      }
    }
    return policy;
  };
}

export const createLinTsPolicy: PolicyFactory = createLinTsPolicyWith(LIN_TS_DEFAULTS);
