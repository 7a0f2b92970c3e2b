// The network as plain tfjs ops on tf.variable weights.
// Why not tf.layers: on the WASM backend the gradients of conv1d (Conv2DBackpropFilter) and of
// embedding / gather (UnsortedSegmentSum) are missing, so those layers cannot train there. Here the
// char-CNN is "slices of the embedded sequence, concatenated into windows, times a filter matrix",
// and embedding lookups are a gather whose gradient is written as one-hot(ids)ᵀ · dy (a matMul).
import { tf } from './tf';
import type { KeepersConfig } from './config';
import { glorotUniform } from './random';
import {
  CHAR_VOCAB_SIZE,
  GENRE_VOCAB_SIZE,
  MAX_GENRES,
  MAX_STYLES,
  NAME_LENGTH,
  NUMERIC_FEATURES,
  STYLE_VOCAB_SIZE,
  type EncodedReleases,
} from '../features';

export interface WeightSpec {
  name: string;
  shape: number[];
  /** 'glorot' for matrices, 'zeros' for biases, 'small' for attention vectors. */
  init: 'glorot' | 'zeros' | 'small';
}

/** The weights in a fixed order (the order of saved artifacts). */
export function weightSpecs(c: KeepersConfig): WeightSpec[] {
  const nameFeatures = 2 * c.convFilters;
  const encoderInput = nameFeatures + c.genreEmbeddingDim + c.styleEmbeddingDim + NUMERIC_FEATURES.length;
  const [h1, h2, h3] = c.hidden;
  return [
    { name: 'charEmbedding', shape: [CHAR_VOCAB_SIZE, c.charEmbeddingDim], init: 'glorot' },
    { name: 'convKernel', shape: [c.convWidth * c.charEmbeddingDim, c.convFilters], init: 'glorot' },
    { name: 'convBias', shape: [c.convFilters], init: 'zeros' },
    { name: 'genreEmbedding', shape: [GENRE_VOCAB_SIZE, c.genreEmbeddingDim], init: 'glorot' },
    { name: 'genreAttention', shape: [c.genreEmbeddingDim, 1], init: 'small' },
    { name: 'styleEmbedding', shape: [STYLE_VOCAB_SIZE, c.styleEmbeddingDim], init: 'glorot' },
    { name: 'styleAttention', shape: [c.styleEmbeddingDim, 1], init: 'small' },
    { name: 'encoder1Kernel', shape: [encoderInput, h1], init: 'glorot' },
    { name: 'encoder1Bias', shape: [h1], init: 'zeros' },
    { name: 'encoder2Kernel', shape: [h1, h2], init: 'glorot' },
    { name: 'encoder2Bias', shape: [h2], init: 'zeros' },
    { name: 'embeddingKernel', shape: [h2, c.embeddingDim], init: 'glorot' },
    { name: 'embeddingBias', shape: [c.embeddingDim], init: 'zeros' },
    { name: 'head1Kernel', shape: [c.embeddingDim, h3], init: 'glorot' },
    { name: 'head1Bias', shape: [h3], init: 'zeros' },
    { name: 'head2Kernel', shape: [h3, 2], init: 'glorot' },
    { name: 'head2Bias', shape: [2], init: 'zeros' },
  ];
}

export type Weights = Map<string, tf.Variable>;

export function initialValues(spec: WeightSpec, rng: () => number): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.init === 'zeros') return new Float32Array(size);
  if (spec.init === 'small') return glorotUniform(rng, spec.shape[0]!, spec.shape[1] ?? 1, size).map((v) => v * 0.1);
  return glorotUniform(rng, spec.shape[0]!, spec.shape[1] ?? 1, size);
}

function w(weights: Weights, name: string): tf.Variable {
  const v = weights.get(name);
  if (!v) throw new Error(`model weight ${name} is missing`);
  return v;
}

/** The encoded arrays as tensors (the caller disposes them). */
export interface InputTensors {
  count: number;
  chars: tf.Tensor1D; // [2n * NAME_LENGTH] int32: artist names, then label names
  genreIds: tf.Tensor1D; // [n * MAX_GENRES] int32
  genreMask: tf.Tensor2D; // [n, MAX_GENRES] 1 = a real id
  styleIds: tf.Tensor1D;
  styleMask: tf.Tensor2D;
  numeric: tf.Tensor2D; // [n, NUMERIC_FEATURES.length]
}

export function toTensors(enc: EncodedReleases): InputTensors {
  const n = enc.count;
  const chars = new Int32Array(2 * n * NAME_LENGTH);
  chars.set(enc.artistChars, 0);
  chars.set(enc.labelChars, n * NAME_LENGTH);
  const mask = (ids: Int32Array) => Float32Array.from(ids, (id) => (id > 0 ? 1 : 0));
  return {
    count: n,
    chars: tf.tensor1d(chars, 'int32'),
    genreIds: tf.tensor1d(enc.genreIds, 'int32'),
    genreMask: tf.tensor2d(mask(enc.genreIds), [n, MAX_GENRES]),
    styleIds: tf.tensor1d(enc.styleIds, 'int32'),
    styleMask: tf.tensor2d(mask(enc.styleIds), [n, MAX_STYLES]),
    numeric: tf.tensor2d(enc.numeric, [n, NUMERIC_FEATURES.length]),
  };
}

export function disposeInputs(t: InputTensors): void {
  tf.dispose([t.chars, t.genreIds, t.genreMask, t.styleIds, t.styleMask, t.numeric]);
}

/** table[ids] with a gradient that WASM can compute: d table = one-hot(ids)ᵀ · dy. */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const vocab = table.shape[0];
  const lookup = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    value: tf.gather(args[0] as tf.Tensor, ids),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      // Transposing explicitly: WASM matMul with a transpose flag is ~10x slower.
      const oneHotT = tf.transpose(tf.cast(tf.oneHot(ids, vocab), 'float32'));
      return tf.matMul(oneHotT, dy as tf.Tensor2D);
    },
  }));
  return lookup(table) as tf.Tensor2D;
}

/** Char-CNN over NAME_LENGTH char ids: embedding, width-k convolution, ReLU, max over positions. */
function charCnn(weights: Weights, c: KeepersConfig, chars: tf.Tensor1D, rows: number): tf.Tensor2D {
  const d = c.charEmbeddingDim;
  const k = c.convWidth;
  const positions = NAME_LENGTH - k + 1;
  const embedded = embeddingLookup(w(weights, 'charEmbedding') as tf.Tensor2D, chars).reshape([rows, NAME_LENGTH, d]);
  const windows = tf.concat(
    Array.from({ length: k }, (_, j) => tf.slice(embedded, [0, j, 0], [rows, positions, d])),
    2,
  );
  const conv = tf.relu(tf.add(tf.matMul(windows.reshape([rows * positions, k * d]), w(weights, 'convKernel')), w(weights, 'convBias')));
  return tf.max(conv.reshape([rows, positions, c.convFilters]), 1) as tf.Tensor2D;
}

/** Attention pooling of a padded id list: softmax(e · a) over the real ids, weighted sum; no ids → zeros. */
function attentionPool(
  table: tf.Variable,
  attention: tf.Variable,
  ids: tf.Tensor1D,
  mask: tf.Tensor2D,
  dim: number,
): tf.Tensor2D {
  const [n, slots] = mask.shape;
  const embedded = tf.mul(embeddingLookup(table as tf.Tensor2D, ids).reshape([n, slots, dim]), mask.expandDims(2));
  const scores = tf.add(tf.matMul(embedded.reshape([n * slots, dim]), attention as tf.Tensor2D).reshape([n, slots]), tf.mul(tf.sub(mask, 1), 1e9));
  const attn = tf.softmax(scores);
  return tf.sum(tf.mul(embedded, attn.expandDims(2)), 1) as tf.Tensor2D;
}

/** Encoder: raw (unnormalised) embedding [n, embeddingDim]. */
export function encode(weights: Weights, c: KeepersConfig, t: InputTensors): tf.Tensor2D {
  const n = t.count;
  const names = charCnn(weights, c, t.chars, 2 * n);
  const artist = tf.slice(names, [0, 0], [n, c.convFilters]);
  const label = tf.slice(names, [n, 0], [n, c.convFilters]);
  const genres = attentionPool(w(weights, 'genreEmbedding'), w(weights, 'genreAttention'), t.genreIds, t.genreMask, c.genreEmbeddingDim);
  const styles = attentionPool(w(weights, 'styleEmbedding'), w(weights, 'styleAttention'), t.styleIds, t.styleMask, c.styleEmbeddingDim);
  const x = tf.concat([artist, label, genres, styles, t.numeric], 1);
  const h1 = tf.relu(tf.add(tf.matMul(x, w(weights, 'encoder1Kernel')), w(weights, 'encoder1Bias')));
  const h2 = tf.relu(tf.add(tf.matMul(h1, w(weights, 'encoder2Kernel')), w(weights, 'encoder2Bias')));
  return tf.add(tf.matMul(h2, w(weights, 'embeddingKernel')), w(weights, 'embeddingBias'));
}

export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12)));
}

/**
 * What the bandit head reads: the L2-normalised embedding (the space the triplet loss shapes, so the
 * head scores the same geometry the "similar records" explanations show), scaled by √dim so its
 * components are ~1 rather than ~1/√dim and the head learns at a sane pace with lr 1e-4.
 */
export function headInput(rawEmbedding: tf.Tensor2D): tf.Tensor2D {
  return tf.mul(l2Normalize(rawEmbedding), Math.sqrt(rawEmbedding.shape[1]));
}

/**
 * Bandit head on headInput(embedding). Dropout masks are given (seeded, from JS) or absent
 * (deterministic pass). Returns the keep logit and the bounded log-variance.
 */
export function head(
  weights: Weights,
  c: KeepersConfig,
  embedding: tf.Tensor2D,
  inputMask?: tf.Tensor,
  hiddenMask?: tf.Tensor,
): { logit: tf.Tensor1D; logVar: tf.Tensor1D } {
  const n = embedding.shape[0];
  const x = inputMask ? tf.mul(embedding, inputMask) : embedding;
  let h = tf.relu(tf.add(tf.matMul(x, w(weights, 'head1Kernel')), w(weights, 'head1Bias')));
  if (hiddenMask) h = tf.mul(h, hiddenMask);
  const out = tf.add(tf.matMul(h, w(weights, 'head2Kernel')), w(weights, 'head2Bias'));
  const logit = tf.slice(out, [0, 0], [n, 1]).reshape([n]) as tf.Tensor1D;
  const raw = tf.slice(out, [0, 1], [n, 1]).reshape([n]);
  const [lo, hi] = c.logVarRange;
  // Smooth bound: log-variance can neither collapse to -∞ on perfectly fit labels nor explode,
  // and its gradient never dies the way a hard clip's does.
  const logVar = tf.add(lo, tf.mul(hi - lo, tf.sigmoid(raw))) as tf.Tensor1D;
  return { logit, logVar };
}
