// The simulated collector: every batch, sample unlabelled candidates, let the policy score and
// pick, reveal the labels (a pick is a keeper when the collector's list holds it), let the policy
// learn exactly as the product does, and record what happened.
import { UMAP } from 'umap-js';
import { auc, ece, reliabilityBins, silhouette } from '../metrics';
import type { Release } from '../schemas';
import { handFeatureIndices, meanPairwiseHandDistance } from './handFeatures';
import { policyFactory } from './policies';
import type { LabelledIndex, SimWorld } from './policy';
import { createRng, deriveSeed, shuffled } from './rng';
import type { BatchRecord, RunRecord, Scenario } from './types';

export const ECE_BINS = 10;
/** Silhouette and labelled-uncertainty are measured on at most this many labelled records (O(n²)). */
const MAX_SILHOUETTE_POINTS = 300;
const MAX_UNCERTAINTY_POINTS = 200;

function normName(name: string | undefined): string {
  return (name ?? '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
}

export function buildWorld(pool: Release[]): SimWorld {
  return {
    pool,
    hand: pool.map((r) => handFeatureIndices(r)),
    artistKey: pool.map((r) => normName(r.artists[0])),
  };
}

export interface RunSpec {
  world: SimWorld;
  /** keeper flag per pool record for the first half (and, in `shift`, the second half) */
  keepers: Uint8Array;
  shiftKeepers: Uint8Array | null;
  scenario: Scenario;
  policy: string;
  seed: number;
  batches: number;
  batchSize: number;
  poolSize: number;
  embeddingMap?: boolean;
  /** model hyperparameter overrides (measuring alternatives to the product's defaults) */
  modelConfig?: Record<string, unknown>;
}

/** Records hidden from the candidates until mid-run in `new-artists`: those of 30% of the artists (per seed). */
export function hiddenUntilMidRun(world: SimWorld, seed: number): Uint8Array {
  const artists = [...new Set(world.artistKey.filter((a) => a !== ''))].sort();
  const chosen = new Set(shuffled(artists, createRng(deriveSeed(seed, 0xa7))).slice(0, Math.round(artists.length * 0.3)));
  return Uint8Array.from(world.artistKey, (a) => (chosen.has(a) ? 1 : 0));
}

/**
 * The candidates of batch `b` for seed `seed`: a permutation that depends only on (seed, b), walked
 * past labelled and hidden records. Every policy therefore sees the same pool for a seed, except for
 * the records it has itself already labelled.
 */
export function sampleCandidates(n: number, seed: number, b: number, poolSize: number, skip: (i: number) => boolean): number[] {
  const rng = createRng(deriveSeed(seed, b, 0xc0));
  const out: number[] = [];
  // A partial Fisher–Yates shuffle: only as many swaps as needed.
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n && out.length < poolSize; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
    if (!skip(order[i]!)) out.push(order[i]!);
  }
  return out;
}

function mean(values: number[]): number | null {
  return values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
}

function subsample<T>(items: T[], max: number, seed: number): T[] {
  return items.length <= max ? items : shuffled(items, createRng(seed)).slice(0, max);
}

export async function runPolicy(spec: RunSpec): Promise<RunRecord> {
  const { world, scenario, seed, batches, batchSize, poolSize } = spec;
  const n = world.pool.length;
  const mid = Math.floor(batches / 2);
  const hidden = scenario === 'new-artists' ? hiddenUntilMidRun(world, seed) : null;
  const factory = await policyFactory(spec.policy);
  const policy = await factory(world, deriveSeed(seed, 0x9e37), { modelConfig: spec.modelConfig });
  const labelled = new Uint8Array(n);
  const history: LabelledIndex[] = [];
  const seenArtists = new Set<string>();
  const records: BatchRecord[] = [];
  const allProbs: number[] = [];
  const allLabels: number[] = [];
  try {
    for (let b = 0; b < batches; b++) {
      const keeperFlags = scenario === 'shift' && b >= mid && spec.shiftKeepers ? spec.shiftKeepers : spec.keepers;
      const candidates = sampleCandidates(n, seed, b, poolSize, (i) => labelled[i] === 1 || (hidden !== null && b < mid && hidden[i] === 1));
      if (candidates.length === 0) break;
      const candLabels = candidates.map((i) => keeperFlags[i]!);

      let meanUncertaintyLabelled: number | null = null;
      if (policy.uncertaintyOf && history.length > 0) {
        const sample = subsample(history.map((h) => h.index), MAX_UNCERTAINTY_POINTS, deriveSeed(seed, b, 0x55));
        meanUncertaintyLabelled = mean(await policy.uncertaintyOf(sample));
      }

      const t0 = performance.now();
      const sel = await policy.select(candidates, b, batchSize);
      const selectMs = performance.now() - t0;

      const batch: LabelledIndex[] = sel.picks.map((p) => ({ index: p.index, keeper: keeperFlags[p.index] === 1 }));
      const exploit = sel.picks.filter((p) => p.strategy === 'exploit');
      const explore = sel.picks.filter((p) => p.strategy === 'explore');
      const exploitKeepers = exploit.filter((p) => keeperFlags[p.index] === 1).length;
      const exploreKeepers = explore.filter((p) => keeperFlags[p.index] === 1).length;
      const keepers = exploitKeepers + exploreKeepers;
      const oracleKeepers = Math.min(batchSize, candLabels.reduce((s: number, v) => s + v, 0));
      const novelty = sel.picks.length === 0 ? 0 : sel.picks.filter((p) => !seenArtists.has(world.artistKey[p.index]!)).length / sel.picks.length;

      let eceValue: number | null = null;
      let aucValue: number | null = null;
      if (sel.probs) {
        const probs = Array.from(sel.probs);
        eceValue = ece(probs, candLabels, ECE_BINS);
        for (let i = 0; i < probs.length; i++) {
          allProbs.push(probs[i]!);
          allLabels.push(candLabels[i]!);
        }
      }
      const rankScores = sel.probs ?? sel.scores;
      if (rankScores) aucValue = auc(Array.from(rankScores), candLabels);

      const t1 = performance.now();
      await policy.update(batch, history.slice(), b);
      const trainMs = performance.now() - t1;

      for (const item of batch) {
        labelled[item.index] = 1;
        history.push(item);
        seenArtists.add(world.artistKey[item.index]!);
      }

      let silhouetteValue: number | null = null;
      if (policy.embeddingsOf) {
        const sample = subsample(history, MAX_SILHOUETTE_POINTS, deriveSeed(seed, b, 0x51));
        const nKeep = sample.filter((s) => s.keeper).length;
        if (nKeep > 0 && nKeep < sample.length) {
          silhouetteValue = silhouette(policy.embeddingsOf(sample.map((s) => s.index)), sample.map((s) => (s.keeper ? 1 : 0)));
        }
      }

      records.push({
        batch: b,
        exploreRate: sel.exploreRate,
        nExplore: explore.length,
        nExploit: exploit.length,
        exploitKeepers,
        exploreKeepers,
        keepers,
        oracleKeepers,
        regret: oracleKeepers - keepers,
        ece: eceValue,
        auc: aucValue,
        silhouette: silhouetteValue,
        meanUncertaintyLabelled,
        meanUncertaintyUnlabelled: sel.uncertainty ? mean(Array.from(sel.uncertainty)) : null,
        diversity: meanPairwiseHandDistance(sel.picks.map((p) => world.hand[p.index]!)),
        novelty,
        trainMs,
        selectMs,
        pickedIds: sel.picks.map((p) => world.pool[p.index]!.id),
      });
    }
    const run: RunRecord = {
      policy: spec.policy,
      seed,
      batches: records,
      reliability: allProbs.length > 0 ? reliabilityBins(allProbs, allLabels, ECE_BINS) : null,
    };
    if (spec.embeddingMap && policy.embeddingsOf && history.length >= 10) {
      run.embeddingMap = embeddingMap(policy.embeddingsOf(history.map((h) => h.index)), history.map((h) => h.keeper), seed);
    }
    return run;
  } finally {
    policy.dispose();
  }
}

/** UMAP of labelled records' embeddings to 2-d (seeded), for the embedding map plot. */
export function embeddingMap(vectors: number[][], keepers: boolean[], seed: number): { x: number; y: number; keeper: boolean }[] {
  const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, vectors.length - 1), nEpochs: 200, random: createRng(deriveSeed(seed, 0x0a)) });
  const xy = umap.fit(vectors);
  return xy.map((p, i) => ({ x: p[0]!, y: p[1]!, keeper: keepers[i]! }));
}
