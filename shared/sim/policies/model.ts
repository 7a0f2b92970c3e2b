// The policies that use the product's model: `seed` (DESIGN §4 exactly: the product's predict,
// selectBatch and onlineUpdate), `greedy` (the same model and update, no exploration: every pick is
// an exploit pick scored mean − uncertainty), and the challenger `neural-linear` (Thompson sampling
// with Bayesian linear regression on the model's 64-d embedding, recomputed for all labels each batch).
// Imported keepers (warm start) reach them in `history` as their CSV view; seed and greedy have no
// warm start of their own (DESIGN §4 trains on the labelled batches), neural-linear puts the imports
// into its linear head before batch 0.
import { encodeReleases, sliceEncoded, type EncodedReleases } from '../../features';
import { KeepersModel, predict, initTf, type KeepersConfig, type Prediction } from '../../model';
import { selectBatch, onlineUpdate, type SelectedItem, type SourcedLabel } from '../../bandit';
import { createRng, deriveSeed, gaussian } from '../rng';
import { cholesky, solveLower, solveUpper } from '../../model/posterior';
import { argmaxUnchosen } from './argmax';
import { topIndices, type LabelledIndex, type Policy, type PolicyFactory, type PolicyOptions, type SimWorld } from '../policy';

let backend: string | null = null;
/** Starts tfjs once per process (wasm in Node, else cpu) and says which backend runs. */
export async function ensureTf(): Promise<string> {
  const active = backend ?? (await initTf());
  backend = active;
  return active;
}

const encodedCache = new WeakMap<SimWorld, EncodedReleases>();
/** The whole pool is encoded once per world; batches slice it. */
function encodedPool(world: SimWorld): EncodedReleases {
  let enc = encodedCache.get(world);
  if (!enc) {
    enc = encodeReleases(world.pool);
    encodedCache.set(world, enc);
  }
  return enc;
}

/** Labels as the product's update takes them: an imported keeper comes as its CSV view (`release`). */
function toLabelled(world: SimWorld, items: LabelledIndex[]): SourcedLabel[] {
  return items.map(({ index, keeper, source, release }) => ({ release: release ?? world.pool[index]!, keeper, source: source ?? 'user' }));
}

interface ModelPolicyParts {
  world: SimWorld;
  model: KeepersModel;
  seed: number;
  enc: EncodedReleases;
}

function predictions(parts: ModelPolicyParts, indices: number[], batchNumber: number, withEmbedding = false): Prediction[] {
  return predict(parts.model, sliceEncoded(parts.enc, indices), { withEmbedding, seed: deriveSeed(parts.seed, batchNumber, 0xdd) });
}

async function modelParts(world: SimWorld, seed: number, opts: PolicyOptions = {}): Promise<ModelPolicyParts> {
  await ensureTf();
  // onlineUpdate reads its hyperparameters from model.config, so overrides given here reach training too.
  return { world, model: KeepersModel.create((opts.modelConfig ?? {}) as Partial<KeepersConfig>, seed), seed, enc: encodedPool(world) };
}

function embedRows(model: KeepersModel, enc: EncodedReleases): number[][] {
  const t = model.embed(enc);
  const rows = t.arraySync() as number[][];
  t.dispose();
  return rows;
}

function sharedMethods(parts: ModelPolicyParts, updateOpts: Record<string, unknown> = {}) {
  return {
    async update(batch: LabelledIndex[], history: LabelledIndex[], batchNumber: number) {
      await onlineUpdate(
        parts.model,
        { batch: toLabelled(parts.world, batch), history: toLabelled(parts.world, history), batchNumber },
        { seed: deriveSeed(parts.seed, batchNumber, 0x0b), ...updateOpts },
      );
    },
    async uncertaintyOf(indices: number[]) {
      return predictions(parts, indices, 0x7fff).map((p) => p.uncertainty);
    },
    embeddingsOf(indices: number[]) {
      return embedRows(parts.model, sliceEncoded(parts.enc, indices));
    },
    /** Embeddings of labelled items as the learner saw them (an import's CSV view, else the pool record). */
    embeddingsOfLabelled(items: LabelledIndex[]) {
      if (items.every((x) => !x.release)) return embedRows(parts.model, sliceEncoded(parts.enc, items.map((x) => x.index)));
      return embedRows(parts.model, encodeReleases(items.map((x) => x.release ?? parts.world.pool[x.index]!)));
    },
    dispose() {
      parts.model.dispose();
    },
  };
}

export const createSeedPolicy: PolicyFactory = async (world, seed, opts) => {
  const parts = await modelParts(world, seed, opts);
  const policy: Policy = {
    name: 'seed',
    async select(candidates, batchNumber, batchSize) {
      const preds = predictions(parts, candidates, batchNumber);
      const posById = new Map<number, number>();
      candidates.forEach((idx, pos) => posById.set(world.pool[idx]!.id, pos));
      const { exploreRate, items } = selectBatch(
        preds.map((p) => ({ releaseId: p.releaseId, mean: p.mean, uncertainty: p.uncertainty })),
        { batchNumber, batchSize },
      );
      return {
        picks: items.map((it: SelectedItem) => ({ index: candidates[posById.get(it.releaseId)!]!, strategy: it.strategy })),
        exploreRate,
        probs: Float64Array.from(preds, (p) => p.mean),
        scores: null,
        uncertainty: Float64Array.from(preds, (p) => p.uncertainty),
      };
    },
    ...sharedMethods(parts),
  };
  return policy;
};

export const createGreedyPolicy: PolicyFactory = async (world, seed, opts) => {
  const parts = await modelParts(world, seed, opts);
  const policy: Policy = {
    name: 'greedy',
    async select(candidates, batchNumber, batchSize) {
      const preds = predictions(parts, candidates, batchNumber);
      const exploitScore = Float64Array.from(preds, (p) => p.mean - p.uncertainty);
      return {
        picks: topIndices(exploitScore, batchSize).map((pos) => ({ index: candidates[pos]!, strategy: 'exploit' as const })),
        exploreRate: 0,
        probs: Float64Array.from(preds, (p) => p.mean),
        scores: null,
        uncertainty: Float64Array.from(preds, (p) => p.uncertainty),
      };
    },
    ...sharedMethods(parts),
  };
  return policy;
};

export const NEURAL_LINEAR_DEFAULTS = { lambda: 1, v: 0.3, replay: 100 };

/**
 * `neural-linear`: the model's encoder learns a representation (the product's onlineUpdate, with
 * replay of earlier labels when the update supports it); a Bayesian linear regression on the 64-d
 * embedding plus a bias, refitted on all labels each batch, picks by Thompson sampling (one draw
 * per slot). Picks also in the top by posterior mean count as `exploit`.
 */
export const createNeuralLinearPolicy: PolicyFactory = async (world, seed, opts) => {
  const parts = await modelParts(world, seed, opts);
  const { lambda, v, replay } = NEURAL_LINEAR_DEFAULTS;
  const rng = createRng(deriveSeed(seed, 0x4e4c));
  let labelled: LabelledIndex[] = [];
  /** The Bayesian linear regression on the current embeddings of every label so far. */
  const fit = () => {
    const n = parts.model.config.embeddingDim + 1;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) a[i * n + i] = lambda;
    const bv = new Float64Array(n);
    if (labelled.length > 0) {
      const h = withBias(shared.embeddingsOfLabelled(labelled));
      h.forEach((x, r) => {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) a[i * n + j]! += x[i]! * x[j]!;
          if (labelled[r]!.keeper) bv[i]! += x[i]!;
        }
      });
    }
    const l = cholesky(a, n);
    return { l, n, theta: solveUpper(l, n, solveLower(l, n, bv)) };
  };
  const posteriorStd = (l: Float64Array, n: number, x: number[]) => {
    const w = solveLower(l, n, Float64Array.from(x));
    return v * Math.sqrt(w.reduce((s, wi) => s + wi * wi, 0));
  };
  const shared = sharedMethods(parts, { config: { replay } });
  const withBias = (rows: number[][]) => rows.map((r) => [...r, 1]);

  const policy: Policy = {
    name: 'neural-linear',
    async select(candidates, _batchNumber, batchSize) {
      const phi = withBias(shared.embeddingsOf(candidates));
      const { l, n, theta } = fit();
      const dot = (t: Float64Array, x: number[]) => x.reduce((s, xi, i) => s + xi * t[i]!, 0);
      const means = Float64Array.from(phi, (x) => dot(theta, x));
      const uncertainty = Float64Array.from(phi, (x) => posteriorStd(l, n, x));
      const greedyTop = new Set(topIndices(means, batchSize));
      const chosen = new Set<number>();
      const picks: { index: number; strategy: 'exploit' | 'explore' }[] = [];
      for (let slot = 0; slot < Math.min(batchSize, candidates.length); slot++) {
        // θ̃ = θ̂ + v L⁻ᵀ z has covariance v² A⁻¹.
        const z = new Float64Array(n);
        for (let i = 0; i < n; i++) z[i] = gaussian(rng);
        const dz = solveUpper(l, n, z);
        const sample = theta.map((t, i) => t + v * dz[i]!);
        const best = argmaxUnchosen(phi.length, chosen, (pos) => dot(sample, phi[pos]!));
        chosen.add(best);
        picks.push({ index: candidates[best]!, strategy: greedyTop.has(best) ? 'exploit' : 'explore' });
      }
      const nExplore = picks.filter((p) => p.strategy === 'explore').length;
      return {
        picks,
        exploreRate: picks.length > 0 ? nExplore / picks.length : 0,
        probs: Float64Array.from(means, (m) => Math.min(1, Math.max(0, m))),
        scores: means,
        uncertainty,
      };
    },
    async warmStart(imported) {
      // The imported keepers enter the linear head at once; the encoder first trains with batch 0.
      labelled = imported.slice();
    },
    async update(batch, history, batchNumber) {
      await shared.update(batch, history, batchNumber);
      labelled = [...history, ...batch];
    },
    async uncertaintyOf(indices) {
      // The same measure as the candidates' uncertainty: the posterior std of the linear score.
      const { l, n } = fit();
      return withBias(shared.embeddingsOf(indices)).map((x) => posteriorStd(l, n, x));
    },
    embeddingsOf: shared.embeddingsOf,
    dispose: shared.dispose,
  };
  return policy;
};
