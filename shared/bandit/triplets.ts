// Triplets for the contrastive part of the loss: anchor = a keeper of the newest batch,
// positive = another keeper from history, negative = a non-keeper from history. With embeddings,
// negatives are mined: semi-hard first (farther than the positive but inside the margin), else the
// hardest (nearer than the positive), else the nearest. Deterministic for a given seed.
import type { Release } from '../schemas';
import { mulberry32 } from '../model/random';

export type LabelledRelease = { release: Release; keeper: boolean };
/** Row indices into [...batch, ...history]: [anchor, positive, negative]. */
export type TripletRows = [anchor: number, positive: number, negative: number];

export interface TripletOptions {
  /** Seed of the positive sampling and of the random negatives (no embeddings). Default 0. */
  seed?: number;
  /** At most this many triplets in all (default 64). */
  maxTriplets?: number;
  /** Triplet margin on squared distances of L2-normalised embeddings (default 1.0). */
  margin?: number;
}

/** Embeddings of the rows of [...batch, ...history]: an array of vectors, or a flat row-major array with its width. */
export type RowEmbeddings = readonly (readonly number[])[] | { data: Float32Array; dim: number };

function embeddingAccessor(emb: RowEmbeddings | undefined, rows: number): ((a: number, b: number) => number) | null {
  if (!emb) return null;
  if (Array.isArray(emb)) {
    const vecs = emb as readonly (readonly number[])[];
    if (vecs.length !== rows) throw new Error(`generateTriplets: ${vecs.length} embeddings for ${rows} rows (batch + history)`);
    return (a, b) => {
      const x = vecs[a]!;
      const y = vecs[b]!;
      let s = 0;
      for (let i = 0; i < x.length; i++) s += (x[i]! - y[i]!) ** 2;
      return s;
    };
  }
  const { data, dim } = emb as { data: Float32Array; dim: number };
  if (data.length !== rows * dim) throw new Error(`generateTriplets: embeddings hold ${data.length / dim} rows, batch + history have ${rows}`);
  return (a, b) => {
    let s = 0;
    for (let i = 0; i < dim; i++) s += (data[a * dim + i]! - data[b * dim + i]!) ** 2;
    return s;
  };
}

function shuffled<T>(items: readonly T[], rng: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/**
 * Triplets over the rows of [...batch, ...history]. Empty when the batch has no keeper or history has
 * no keeper or no non-keeper. Each anchor gets an equal share of maxTriplets (distinct positives).
 */
export function generateTriplets(
  batch: readonly LabelledRelease[],
  history: readonly LabelledRelease[],
  embeddings?: RowEmbeddings,
  opts: TripletOptions = {},
): TripletRows[] {
  const maxTriplets = opts.maxTriplets ?? 64;
  const margin = opts.margin ?? 1.0;
  const rng = mulberry32(opts.seed ?? 0);
  const rows = batch.length + history.length;
  const dist = embeddingAccessor(embeddings, rows);

  const anchors = batch.flatMap((l, i) => (l.keeper ? [i] : []));
  const positives = history.flatMap((l, i) => (l.keeper ? [batch.length + i] : []));
  const negatives = history.flatMap((l, i) => (l.keeper ? [] : [batch.length + i]));
  if (anchors.length === 0 || positives.length === 0 || negatives.length === 0 || maxTriplets <= 0) return [];

  const perAnchor = Math.max(1, Math.min(positives.length, Math.floor(maxTriplets / anchors.length)));
  const triplets: TripletRows[] = [];
  for (const a of anchors) {
    const own = batch[a]!.release.id;
    // A record that is both in the batch and in history must not be its own positive.
    const candidates = positives.filter((p) => history[p - batch.length]!.release.id !== own);
    for (const p of shuffled(candidates, rng).slice(0, perAnchor)) {
      if (triplets.length >= maxTriplets) return triplets;
      triplets.push([a, p, dist ? mineNegative(a, p, negatives, dist, margin) : negatives[Math.floor(rng() * negatives.length)]!]);
    }
  }
  return triplets;
}

/** Semi-hard (dAP < dAN < dAP + margin, nearest such) first, else the hardest (nearest) negative. */
function mineNegative(a: number, p: number, negatives: readonly number[], dist: (a: number, b: number) => number, margin: number): number {
  const dAP = dist(a, p);
  let semiHard = -1;
  let semiHardD = Infinity;
  let nearest = -1;
  let nearestD = Infinity;
  for (const n of negatives) {
    const d = dist(a, n);
    if (d > dAP && d < dAP + margin && d < semiHardD) {
      semiHard = n;
      semiHardD = d;
    }
    if (d < nearestD) {
      nearest = n;
      nearestD = d;
    }
  }
  return semiHard >= 0 ? semiHard : nearest;
}
