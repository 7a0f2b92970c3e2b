// Monte-Carlo dropout scoring: the encoder runs once per record, only the (small) head is sampled.
import { tf } from './tf';
import { head, headInput, l2Normalize } from './network';
import type { KeepersModel } from './model';
import type { QuerySet, TastePosterior } from './posterior';
import { MAX_GENRES, MAX_STYLES, type EncodedReleases } from '../features';

export interface Prediction {
  releaseId: number;
  /** Mean over the T passes of the predicted keep-probability. */
  mean: number;
  /** Epistemic uncertainty: standard deviation of those T probabilities. */
  uncertainty: number;
  /** Aleatoric: mean over the passes of exp(logVar / 2), the predicted std of the residual (y − p), in probability units. */
  aleatoric: number;
  /** L2-normalised embedding (when asked for). */
  embedding?: number[];
}

export interface PredictOptions {
  /** Monte-Carlo passes (default config.mcSamples); 1 with dropout off gives the deterministic score. */
  samples?: number;
  withEmbedding?: boolean;
  /** Seed of the dropout masks (default PREDICTION_SEED: the same inputs give the same scores). */
  seed?: number;
  /**
   * 'loop' (default): T separate head calls on the [n, d] embedding. 'batched': one call on a
   * [T·n, d] broadcast of it. Both give the same numbers for the same seed; the benchmark compares them.
   */
  mode?: 'loop' | 'batched';
  /** Turn Monte-Carlo dropout off (every pass identical, uncertainty 0). */
  dropout?: boolean;
  /**
   * Which head scores: 'auto' (default) the Bayesian posterior when the model has one, else MC dropout;
   * 'mc-dropout' always the dropout head (the `seed` policy).
   */
  head?: 'auto' | 'mc-dropout';
}

/**
 * The one seed of the Monte-Carlo dropout masks wherever records are scored for the collector: the
 * extension's badges, bandit.predict (unless the caller gives a seed) and explain.record, and predict's
 * default. The same weights then give the same numbers on every device and in the backend.
 */
export const PREDICTION_SEED = 0;

export function predict(model: KeepersModel, enc: EncodedReleases, opts: PredictOptions = {}): Prediction[] {
  const n = enc.count;
  if (n === 0) return [];
  const c = model.config;
  const samples = opts.samples ?? c.mcSamples;
  if (!Number.isInteger(samples) || samples < 1) throw new Error(`predict: samples must be a positive integer, got ${samples}`);
  const rate = opts.dropout === false ? 0 : c.dropout;
  const seed = opts.seed ?? PREDICTION_SEED;
  const d = c.embeddingDim;
  const hidden = c.hidden[2];

  const raw = model.encodeRaw(enc);
  if (model.posterior && opts.head !== 'mc-dropout') {
    raw.dispose();
    return posteriorScores(model, model.posterior, enc, { withEmbedding: opts.withEmbedding }).predictions;
  }
  const x = tf.tidy(() => headInput(raw));
  let outputs: { probs: Float32Array; logVars: Float32Array };
  try {
    const masks = rate > 0 ? passMasks(seed, samples, n, d, hidden, rate) : null;
    outputs = opts.mode === 'batched' ? sampleBatched(model, x, samples, masks, n, d, hidden) : sampleLoop(model, x, samples, masks, n, d, hidden);
  } finally {
    x.dispose();
  }
  const embeddings = opts.withEmbedding ? tf.tidy(() => l2Normalize(raw)) : null;
  const embData = embeddings ? (embeddings.dataSync() as Float32Array) : null;
  embeddings?.dispose();
  raw.dispose();

  const { probs, logVars } = outputs;
  const result: Prediction[] = new Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let sumSq = 0;
    let sigma = 0;
    for (let t = 0; t < samples; t++) {
      const p = probs[t * n + i]!;
      sum += p;
      sumSq += p * p;
      sigma += Math.exp(0.5 * logVars[t * n + i]!);
    }
    const mean = sum / samples;
    const variance = Math.max(0, sumSq / samples - mean * mean);
    const pred: Prediction = { releaseId: enc.releaseIds[i]!, mean, uncertainty: Math.sqrt(variance), aleatoric: sigma / samples };
    if (embData) pred.embedding = Array.from(embData.subarray(i * d, (i + 1) * d));
    result[i] = pred;
  }
  return result;
}

/** The dropout masks of one Monte-Carlo pass: the head's input [n, d] and its hidden layer [n, hidden]. */
interface PassMasks {
  input: Float32Array;
  hidden: Float32Array;
}

/**
 * Inverted-dropout masks of consecutive sizes from one mulberry32 stream (shared/random.ts): the same
 * values as dropoutMask(mulberry32(seed), size, rate) called for each size in turn, with the generator
 * inlined (a call per value made mask generation about half of scoring 1000 records × 30 passes).
 * `rng() < rate` is `x / 2³² < rate`, i.e. `x < rate · 2³²` exactly (both sides scaled by a power of two).
 */
export function maskStream(seed: number, sizes: number[], rate: number): Float32Array[] {
  let a = seed >>> 0;
  const keep = 1 / (1 - rate);
  const threshold = rate * 4294967296;
  return sizes.map((size) => {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      out[i] = (t ^ (t >>> 14)) >>> 0 < threshold ? 0 : keep;
    }
    return out;
  });
}

/**
 * Masks of the last few (seed, shape) asked for. Most scoring uses PREDICTION_SEED on the same number
 * of records (a page, a pool of 1000), so the same masks come back; a new seed (the `seed` policy's
 * batches) makes new ones. Bounded by values held, not entries: 1000 records × 30 passes is 2.9M.
 */
const maskCache = new Map<string, PassMasks[]>();
const MASK_CACHE_VALUES = 8_000_000;
let maskCacheValues = 0;

function passMasks(seed: number, samples: number, n: number, d: number, hidden: number, rate: number): PassMasks[] {
  const key = `${seed}|${samples}|${n}|${d}|${hidden}|${rate}`;
  const hit = maskCache.get(key);
  if (hit) return hit;
  // Per pass: input mask, then hidden mask, from one stream (the order predict has always drawn them in).
  const sizes: number[] = [];
  for (let t = 0; t < samples; t++) sizes.push(n * d, n * hidden);
  const flat = maskStream(seed, sizes, rate);
  const masks = Array.from({ length: samples }, (_, t) => ({ input: flat[2 * t]!, hidden: flat[2 * t + 1]! }));
  const values = samples * n * (d + hidden);
  if (values <= MASK_CACHE_VALUES) {
    // Map keeps insertion order: the first key is the oldest entry.
    while (maskCacheValues + values > MASK_CACHE_VALUES && maskCache.size > 0) {
      const [oldKey, old] = maskCache.entries().next().value!;
      maskCache.delete(oldKey);
      maskCacheValues -= old.length * (old[0]!.input.length + old[0]!.hidden.length);
    }
    maskCache.set(key, masks);
    maskCacheValues += values;
  }
  return masks;
}

function sampleLoop(model: KeepersModel, x: tf.Tensor2D, samples: number, masks: PassMasks[] | null, n: number, d: number, hidden: number) {
  const probs = new Float32Array(samples * n);
  const logVars = new Float32Array(samples * n);
  for (let t = 0; t < samples; t++) {
    const m = masks?.[t];
    const out = tf.tidy(() => {
      const { logit, logVar } = head(model.weights, model.config, x, m ? tf.tensor2d(m.input, [n, d]) : undefined, m ? tf.tensor2d(m.hidden, [n, hidden]) : undefined);
      return tf.concat([tf.sigmoid(logit), logVar]);
    });
    const data = out.dataSync() as Float32Array;
    probs.set(data.subarray(0, n), t * n);
    logVars.set(data.subarray(n), t * n);
    out.dispose();
  }
  return { probs, logVars };
}

function sampleBatched(model: KeepersModel, x: tf.Tensor2D, samples: number, masks: PassMasks[] | null, n: number, d: number, hidden: number) {
  // Same masks as the loop, laid out pass-major.
  const inMasks = masks ? new Float32Array(samples * n * d) : null;
  const hidMasks = masks ? new Float32Array(samples * n * hidden) : null;
  if (masks && inMasks && hidMasks) {
    masks.forEach((m, t) => {
      inMasks.set(m.input, t * n * d);
      hidMasks.set(m.hidden, t * n * hidden);
    });
  }
  const out = tf.tidy(() => {
    // Broadcast multiply instead of tf.tile (tile measured at 230 ms on WASM here).
    const xs = inMasks
      ? tf.mul(x.expandDims(0), tf.tensor3d(inMasks, [samples, n, d])).reshape([samples * n, d])
      : tf.mul(x.expandDims(0), tf.ones([samples, 1, 1])).reshape([samples * n, d]);
    const { logit, logVar } = head(model.weights, model.config, xs as tf.Tensor2D, undefined, hidMasks ? tf.tensor2d(hidMasks, [samples * n, hidden]) : undefined);
    return tf.concat([tf.sigmoid(logit), logVar]);
  });
  const data = out.dataSync() as Float32Array;
  out.dispose();
  return { probs: data.slice(0, samples * n), logVars: data.slice(samples * n) };
}


/** Probabilities shown to the collector stay inside (0, 1) even where the linear posterior overshoots. */
const PROBABILITY_FLOOR = 1e-3;

/**
 * What the Bayesian head compares records on: the identity keys and the L2-normalised taste embedding,
 * set to zero for a record with neither genres nor styles. Why: a Discogs CSV export carries no genres,
 * so imported keepers would otherwise sit together in taste space, apart from records that have genres,
 * and "has no genres" would pass for taste. Such a record is compared on who made it, on which label
 * and when (its identity keys) only, on both sides of every comparison.
 */
export function posteriorQuery(model: KeepersModel, enc: EncodedReleases): { query: QuerySet; embeddings: Float32Array; logVar: Float32Array } {
  const n = enc.count;
  const d = model.config.embeddingDim;
  const raw = model.encodeRaw(enc);
  const { emb, logVar } = tf.tidy(() => {
    const out = head(model.weights, model.config, headInput(raw));
    return { emb: l2Normalize(raw).dataSync() as Float32Array, logVar: out.logVar.dataSync() as Float32Array };
  });
  raw.dispose();
  const masked = emb.slice();
  for (let i = 0; i < n; i++) {
    if (!hasTerms(enc.genreIds, i, MAX_GENRES) && !hasTerms(enc.styleIds, i, MAX_STYLES)) masked.fill(0, i * d, (i + 1) * d);
  }
  return { query: { keys: enc.identity, embeddings: masked }, embeddings: emb, logVar };
}

function hasTerms(ids: Int32Array, row: number, width: number): boolean {
  for (let k = row * width; k < (row + 1) * width; k++) if (ids[k] !== 0) return true;
  return false;
}

/**
 * The default learner's scores: posterior mean and standard deviation of the keep-probability from the
 * Bayesian head (posterior.ts); aleatoric from one deterministic pass of the dropout head's log-variance
 * output. Also returns the query and the posterior's mean / cross-kernel, so that Thompson sampling
 * reuses this pass.
 */
export function posteriorScores(
  model: KeepersModel,
  posterior: TastePosterior,
  enc: EncodedReleases,
  opts: { withEmbedding?: boolean; withStd?: boolean } = {},
): { predictions: Prediction[]; query: QuerySet; mean: Float64Array; cross: Float64Array } {
  const n = enc.count;
  const d = model.config.embeddingDim;
  const { query, embeddings, logVar } = posteriorQuery(model, enc);
  const { mean, std, cross } = posterior.predict(query, { withStd: opts.withStd });
  const predictions: Prediction[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const pred: Prediction = {
      releaseId: enc.releaseIds[i]!,
      mean: Math.min(1 - PROBABILITY_FLOOR, Math.max(PROBABILITY_FLOOR, posterior.calibrate(mean[i]!))),
      uncertainty: std[i]!,
      aleatoric: Math.exp(0.5 * logVar[i]!),
    };
    if (opts.withEmbedding) pred.embedding = Array.from(embeddings.subarray(i * d, (i + 1) * d));
    predictions[i] = pred;
  }
  return { predictions, query, mean, cross };
}
