// The simulated collector: every batch, sample unlabelled candidates, let the policy score and
// pick, reveal the labels (a pick is a keeper when the collector's list holds it), let the policy
// learn exactly as the product does, and record what happened. In `warm-start` half of the keepers
// are imported first (CSV export fields only) and are labelled, never candidates. Regret is measured
// against a label-seeing oracle run through the same candidate sampling.
import { UMAP } from 'umap-js';
import { auc, ece, reliabilityBins, silhouette } from '../metrics';
import type { Release } from '../schemas';
import { csvExportView } from './csvView';
import { handFeatureIndices, meanPairwiseHandDistance } from './handFeatures';
import { policyFactory, resolvePolicyName } from './policies';
import type { LabelledIndex, PolicyFactory, PolicyOptions, SimWorld } from './policy';
import { createRng, deriveSeed, shuffled } from './rng';
import { isWarmStart, type BatchRecord, type RunRecord, type Scenario } from './types';

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
  /** the target collector's own lists, left out of popularity's counts; default: keepers ∪ shiftKeepers */
  ownLists?: Uint8Array;
  /** warm-start: the imported keepers (pool indices); default: importedKeepers(keepers, seed) */
  imported?: number[];
  /** builds the policy instead of looking `policy` up by name (a policy under test, or a wrapper that watches one) */
  factory?: PolicyFactory;
}

/** Pooled ECE runs over the candidate predictions of batches POOLED_ECE_FROM…POOLED_ECE_TO (inclusive). */
export const POOLED_ECE_FROM = 10;
export const POOLED_ECE_TO = 50;
/** Share of the collector's keepers imported before batch 0 in `warm-start`. */
export const IMPORT_SHARE = 0.5;

/** Records hidden from the candidates until mid-run in `new-artists`: those of 30% of the artists (per seed). */
export function hiddenUntilMidRun(world: SimWorld, seed: number): Uint8Array {
  const artists = [...new Set(world.artistKey.filter((a) => a !== ''))].sort();
  const chosen = new Set(shuffled(artists, createRng(deriveSeed(seed, 0xa7))).slice(0, Math.round(artists.length * 0.3)));
  return Uint8Array.from(world.artistKey, (a) => (chosen.has(a) ? 1 : 0));
}

/** The keepers imported before batch 0 in `warm-start`: a seeded half of them (pool indices, ascending). */
export function importedKeepers(keepers: Uint8Array, seed: number): number[] {
  const all: number[] = [];
  keepers.forEach((v, i) => {
    if (v === 1) all.push(i);
  });
  return shuffled(all, createRng(deriveSeed(seed, 0x1a))).slice(0, Math.floor(all.length * IMPORT_SHARE)).sort((a, b) => a - b);
}

/** How many keepers `warm-start` imports out of `keepersInPool` (the same for every seed). */
export function importedCount(keepersInPool: number): number {
  return Math.floor(keepersInPool * IMPORT_SHARE);
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

/**
 * One run of a policy, with regret against the label-seeing `oracle` run on the same seed, candidate
 * sampling and scenario (for the oracle itself, regret is 0).
 */
export async function runPolicy(spec: RunSpec): Promise<RunRecord> {
  const run = await runOnce(spec);
  const oracle = resolvePolicyName(spec.policy) === 'oracle' && !spec.factory ? run : await runOnce({ ...spec, policy: 'oracle', factory: undefined, embeddingMap: false });
  return withOracle(run, oracle);
}

/** Fills each batch's oracleKeepers and regret (oracle cumulative − policy cumulative) from an oracle run. */
export function withOracle(run: RunRecord, oracle: RunRecord): RunRecord {
  let own = 0;
  let best = 0;
  const batches = run.batches.map((b, i) => {
    const oracleKeepers = oracle.batches[i]?.keepers ?? 0;
    own += b.keepers;
    best += oracleKeepers;
    return { ...b, oracleKeepers, regret: best - own };
  });
  return { ...run, batches };
}

async function runOnce(spec: RunSpec): Promise<RunRecord> {
  const { world, scenario, seed, batches, batchSize, poolSize } = spec;
  const n = world.pool.length;
  const mid = Math.floor(batches / 2);
  const hidden = scenario === 'new-artists' ? hiddenUntilMidRun(world, seed) : null;
  const policyName = resolvePolicyName(spec.policy);
  const flagsAt = (b: number) => (scenario === 'shift' && b >= mid && spec.shiftKeepers ? spec.shiftKeepers : spec.keepers);
  // Labels reach only the two policies whose definition needs them: popularity's prior leaves the
  // target's own lists out of its counts, and the oracle is the yardstick. Learners get labels only
  // through update() / warmStart(), for the records they picked or that were imported.
  const opts: PolicyOptions = { modelConfig: spec.modelConfig };
  if (policyName === 'popularity') opts.ownLists = spec.ownLists ?? Uint8Array.from(spec.keepers, (v, i) => (v === 1 || spec.shiftKeepers?.[i] === 1 ? 1 : 0));
  if (policyName === 'oracle') opts.labelsAt = flagsAt;
  const factory = spec.factory ?? (await policyFactory(policyName));
  const policy = await factory(world, deriveSeed(seed, 0x9e37), opts);
  const labelled = new Uint8Array(n);
  /** every label so far, imports first: what the policy's update() receives */
  const history: LabelledIndex[] = [];
  /** the labels of the collector's own picks (no imports): where labelled uncertainty and silhouette are measured */
  const userHistory: LabelledIndex[] = [];
  const seenArtists = new Set<string>();
  const records: BatchRecord[] = [];
  const allProbs: number[] = [];
  const allLabels: number[] = [];
  const pooledProbs: number[] = [];
  const pooledLabels: number[] = [];
  try {
    const importedIdx = isWarmStart(scenario) ? (spec.imported ?? importedKeepers(spec.keepers, seed)) : [];
    const view = (r: Release) => (scenario === 'warm-start' ? csvExportView(r) : r);
    const imported: LabelledIndex[] = importedIdx.map((index) => ({ index, keeper: true, source: 'import', release: view(world.pool[index]!) }));
    for (const item of imported) labelled[item.index] = 1;
    // The control (warm-start-cold) withholds the same keepers from the pool without telling the learner.
    if (scenario !== 'warm-start-cold') {
      for (const item of imported) {
        history.push(item);
        seenArtists.add(world.artistKey[item.index]!);
      }
      if (imported.length > 0 && policy.warmStart) await policy.warmStart(imported.slice());
    }

    for (let b = 0; b < batches; b++) {
      const keeperFlags = flagsAt(b);
      const candidates = sampleCandidates(n, seed, b, poolSize, (i) => labelled[i] === 1 || (hidden !== null && b < mid && hidden[i] === 1));
      if (candidates.length === 0) break;
      const candLabels = candidates.map((i) => keeperFlags[i]!);

      let meanUncertaintyLabelled: number | null = null;
      if (policy.uncertaintyOf && userHistory.length > 0) {
        const sample = subsample(userHistory.map((h) => h.index), MAX_UNCERTAINTY_POINTS, deriveSeed(seed, b, 0x55));
        meanUncertaintyLabelled = mean(await policy.uncertaintyOf(sample));
      }

      const t0 = performance.now();
      const sel = await policy.select(candidates, b, batchSize);
      const selectMs = performance.now() - t0;

      const candidateSet = new Set(candidates);
      const pickedSet = new Set<number>();
      for (const p of sel.picks) {
        if (!candidateSet.has(p.index) || pickedSet.has(p.index)) throw new Error(`${policyName} picked record ${p.index} in batch ${b}: not a candidate, or picked twice`);
        pickedSet.add(p.index);
      }

      const batch: LabelledIndex[] = sel.picks.map((p) => ({ index: p.index, keeper: keeperFlags[p.index] === 1, source: 'user' }));
      const exploit = sel.picks.filter((p) => p.strategy === 'exploit');
      const explore = sel.picks.filter((p) => p.strategy === 'explore');
      const exploitKeepers = exploit.filter((p) => keeperFlags[p.index] === 1).length;
      const exploreKeepers = explore.filter((p) => keeperFlags[p.index] === 1).length;
      const keepers = exploitKeepers + exploreKeepers;
      const bestAvailableKeepers = Math.min(batchSize, candLabels.reduce((s: number, v) => s + v, 0));
      const novelty = sel.picks.length === 0 ? 0 : sel.picks.filter((p) => !seenArtists.has(world.artistKey[p.index]!)).length / sel.picks.length;

      let eceValue: number | null = null;
      let aucValue: number | null = null;
      if (sel.probs) {
        const probs = Array.from(sel.probs);
        eceValue = ece(probs, candLabels, ECE_BINS);
        const pooled = b >= POOLED_ECE_FROM && b <= POOLED_ECE_TO;
        for (let i = 0; i < probs.length; i++) {
          allProbs.push(probs[i]!);
          allLabels.push(candLabels[i]!);
          if (pooled) {
            pooledProbs.push(probs[i]!);
            pooledLabels.push(candLabels[i]!);
          }
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
        userHistory.push(item);
        seenArtists.add(world.artistKey[item.index]!);
      }

      let silhouetteValue: number | null = null;
      if (policy.embeddingsOf) {
        const sample = subsample(userHistory, MAX_SILHOUETTE_POINTS, deriveSeed(seed, b, 0x51));
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
        bestAvailableKeepers,
        // filled in from the oracle's run (withOracle)
        oracleKeepers: 0,
        regret: 0,
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
      policy: policyName,
      seed,
      batches: records,
      reliability: allProbs.length > 0 ? reliabilityBins(allProbs, allLabels, ECE_BINS) : null,
      ecePooled: pooledProbs.length > 0 ? ece(pooledProbs, pooledLabels, ECE_BINS) : null,
      imported: scenario === 'warm-start-cold' ? 0 : imported.length,
    };
    if (spec.embeddingMap && policy.embeddingsOf && userHistory.length >= 10) {
      run.embeddingMap = embeddingMap(policy.embeddingsOf(userHistory.map((h) => h.index)), userHistory.map((h) => h.keeper), seed);
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
