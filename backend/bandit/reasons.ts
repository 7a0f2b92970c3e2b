// "Why shown?" reasons: the wording and logic are shared/explain's (explainRecord,
// occlusionVariants); this module only gathers the model's evidence for it: embeddings of the record and
// of the labelled records (nearest neighbours) and occlusion deltas (how much the keep-probability changes
// when the artist, label, styles, … are removed).
import type { KeepersModel } from '../../shared/model';
import { posteriorScores, predict } from '../../shared/model';
import { encodeReleases } from '../../shared/features';
import { explainRecord, occlusionVariants, type Occlusion } from '../../shared/explain';
import type { Reason, Release, ShownStrategy } from '../../shared/schemas';
import { embedReleases, type EmbeddingCache } from './scoring';

export interface ScoredItem {
  release: Release;
  strategy: ShownStrategy;
  mean: number;
  uncertainty: number;
  aleatoric: number;
  /** The record's L2-normalised embedding when scoring already computed it (predict withEmbedding); embedded here otherwise. */
  embedding?: number[];
}

/**
 * shared/explain reads embeddings as number[]; the cached Float32Array of a labelled record is converted
 * once, not for every batch (2,000 × 64 values a batch otherwise).
 */
const asNumberArray = new WeakMap<Float32Array, number[]>();
function asNumbers(e: Float32Array): number[] {
  let out = asNumberArray.get(e);
  if (!out) {
    out = Array.from(e);
    asNumberArray.set(e, out);
  }
  return out;
}

/** Labelled records embedded as neighbour candidates (the most recent ones): bounds the cost per batch. */
export const NEIGHBOUR_CANDIDATES = 2000;

/**
 * Keep-probabilities of `rows` as predict gives them with dropout off. With the Bayesian head only the
 * posterior mean is read: predict would also compute each row's posterior std (a triangular solve over
 * every label per row, most of the time of the reasons), which the deltas never use.
 */
export function deterministicMeans(model: KeepersModel, rows: Release[], head: 'auto' | 'mc-dropout'): number[] {
  const enc = encodeReleases(rows);
  if (model.posterior && head === 'auto') return posteriorScores(model, model.posterior, enc, { withStd: false }).predictions.map((p) => p.mean);
  return predict(model, enc, { samples: 1, dropout: false, head }).map((p) => p.mean);
}

/**
 * Occlusion deltas with dropout off: a deterministic score, so the deltas are not Monte-Carlo noise.
 * The records and all their variants are scored in one call.
 */
function occlusions(model: KeepersModel, releases: Release[], head: 'auto' | 'mc-dropout'): Occlusion[][] {
  const variants = releases.map((r) => occlusionVariants(r));
  const rows = [...releases, ...variants.flat().map((v) => v.release)];
  const probs = deterministicMeans(model, rows, head);
  let next = releases.length;
  return variants.map((vs, i) =>
    vs.map((v) => ({ feature: v.feature, detail: v.detail, delta: probs[i]! - probs[next++]! })),
  );
}

/**
 * Reasons for each item (only the items given: the batch's picks, not the pool). `labelled` is the
 * latest labels, oldest first; only the most recent NEIGHBOUR_CANDIDATES are used.
 * `cache` (with the model's version) keeps the labelled records' embeddings between calls.
 * `head`: the head that scored the items (occlusion deltas come from the same one).
 */
export function reasonsFor(
  model: KeepersModel,
  items: ScoredItem[],
  labelled: { release: Release; keeper: boolean }[],
  cache?: { embeddings: EmbeddingCache; version: string },
  head: 'auto' | 'mc-dropout' = 'auto',
): Reason[][] {
  if (items.length === 0) return [];
  const recent = labelled.slice(-NEIGHBOUR_CANDIDATES);
  const recentReleases = recent.map((l) => l.release);
  const labelledEmb = cache ? cache.embeddings.get(cache.version, model, recentReleases) : embedReleases(model, recentReleases);
  const unembedded = items.filter((i) => !i.embedding);
  const computed = new Map(embedReleases(model, unembedded.map((i) => i.release)).map((e, j) => [unembedded[j]!, Array.from(e)]));
  const labelledInput = recent.map((l, i) => ({ release: l.release, keeper: l.keeper, embedding: asNumbers(labelledEmb[i]!) }));
  const occ = occlusions(model, items.map((i) => i.release), head);
  return items.map((item, i) =>
    explainRecord({
      target: { release: item.release, mean: item.mean, uncertainty: item.uncertainty, aleatoric: item.aleatoric, embedding: item.embedding ?? computed.get(item)!, strategy: item.strategy },
      labelled: labelledInput,
      occlusion: occ[i],
    }),
  );
}
