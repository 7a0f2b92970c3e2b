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
  IDENTITY_BUCKETS,
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

/** Width of the encoder's input: names (char-CNN), identity buckets, genres, styles, numeric columns. */
export function encoderInputSize(c: KeepersConfig): number {
  return 2 * c.convFilters + 2 * c.identityEmbeddingDim + c.genreEmbeddingDim + c.styleEmbeddingDim + NUMERIC_FEATURES.length;
}

/** The weights in a fixed order (the order of saved artifacts). */
export function weightSpecs(c: KeepersConfig): WeightSpec[] {
  const encoderInput = encoderInputSize(c);
  const [h1, h2, h3] = c.hidden;
  return [
    { name: 'charEmbedding', shape: [CHAR_VOCAB_SIZE, c.charEmbeddingDim], init: 'glorot' },
    { name: 'convKernel', shape: [c.convWidth * c.charEmbeddingDim, c.convFilters], init: 'glorot' },
    { name: 'convBias', shape: [c.convFilters], init: 'zeros' },
    // Zero at the start: a bucket no training row has touched (an unseen name) reads as "no identity".
    { name: 'artistIdEmbedding', shape: [IDENTITY_BUCKETS, c.identityEmbeddingDim], init: 'zeros' },
    { name: 'labelIdEmbedding', shape: [IDENTITY_BUCKETS, c.identityEmbeddingDim], init: 'zeros' },
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

/**
 * The encoded arrays as tensors (the caller disposes them). For training, ids (looked up with a
 * WASM-trainable gradient). For inference, the looked-up vectors themselves, built in JS: WASM's
 * GatherV2 copies element by element and was the slowest op of scoring (≈180 ms of 1000 records).
 */
export interface InputTensors {
  count: number;
  /** Char ids of every convolution window, [2n · positions · convWidth]: artist names then label names. */
  charWindows?: tf.Tensor1D;
  /**
   * Inference: the embedded windows of each distinct name once, [names · positions, convWidth ·
   * charEmbeddingDim]; `nameRows` says which distinct name each of the 2n rows (artists, then labels) is.
   */
  charWindowVectors?: tf.Tensor2D;
  /** Inference: for each of the 2n artist and label names, its row among the distinct names of `charWindowVectors` (used in JS). */
  nameRows?: Int32Array;
  genreIds?: tf.Tensor1D; // [n * MAX_GENRES] int32
  genreVectors?: tf.Tensor2D; // inference: [n * MAX_GENRES, genreEmbeddingDim], padding rows zero
  genreMask: tf.Tensor2D; // [n, MAX_GENRES] 1 = a real id
  styleIds?: tf.Tensor1D;
  styleVectors?: tf.Tensor2D;
  styleMask: tf.Tensor2D;
  numeric: tf.Tensor2D; // [n, NUMERIC_FEATURES.length]
  /** Training: artist / label identity buckets, [n] int32 each. */
  artistHash?: tf.Tensor1D;
  labelHash?: tf.Tensor1D;
  /** Inference: the looked-up identity vectors, [n, identityEmbeddingDim] each. */
  artistIdVectors?: tf.Tensor2D;
  labelIdVectors?: tf.Tensor2D;
}

function windowIds(enc: EncodedReleases, k: number): Int32Array {
  const n = enc.count;
  const rows: NameRow[] = [];
  for (const names of [enc.artistChars, enc.labelChars]) for (let r = 0; r < n; r++) rows.push({ names, row: r });
  return windowsOf(rows, k);
}

/** A name: row `row` of a [count, NAME_LENGTH] char-id array. */
interface NameRow {
  names: Int32Array;
  row: number;
}

/** Char ids of every width-k window of each name, name by name, position by position. */
function windowsOf(rows: NameRow[], k: number): Int32Array {
  const positions = NAME_LENGTH - k + 1;
  const windows = new Int32Array(rows.length * positions * k);
  let o = 0;
  for (const { names, row } of rows) {
    const base = row * NAME_LENGTH;
    for (let p = 0; p < positions; p++) {
      for (let j = 0; j < k; j++) windows[o++] = names[base + p + j]!;
    }
  }
  return windows;
}

/**
 * The distinct names among the 2n artist and label names (same char ids = same name), and for each of
 * the 2n rows which distinct name it is. A pool of 1000 Discogs records has about half as many distinct
 * names as rows (labels and artists repeat), and the char-CNN is the costliest part of the encoder.
 */
function distinctNames(enc: EncodedReleases): { names: NameRow[]; rowOf: Int32Array } {
  const n = enc.count;
  const seen = new Map<string, number>();
  const names: NameRow[] = [];
  const rowOf = new Int32Array(2 * n);
  let i = 0;
  for (const chars of [enc.artistChars, enc.labelChars]) {
    for (let r = 0; r < n; r++) {
      const key = String.fromCharCode(...chars.subarray(r * NAME_LENGTH, (r + 1) * NAME_LENGTH));
      let at = seen.get(key);
      if (at === undefined) {
        at = names.length;
        seen.set(key, at);
        names.push({ names: chars, row: r });
      }
      rowOf[i++] = at;
    }
  }
  return { names, rowOf };
}

/** Rows `ids` of a row-major [vocab, dim] table; id 0 (padding) gives zeros when zeroPadding. */
function lookupRows(table: Float32Array, dim: number, ids: Int32Array, zeroPadding: boolean): Float32Array {
  const out = new Float32Array(ids.length * dim);
  // An element loop, not out.set(table.subarray(...)): rows are 8–16 values, and a subarray object per
  // row (130,000 rows for the char windows of 1000 records) cost more than the copying.
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (zeroPadding && id === 0) continue;
    const src = id * dim;
    const dst = i * dim;
    for (let k = 0; k < dim; k++) out[dst + k] = table[src + k]!;
  }
  return out;
}

/** Tensors for `enc`; with `weights`, the inference form (looked-up vectors) instead of ids. */
export function toTensors(enc: EncodedReleases, c: KeepersConfig, weights?: Weights): InputTensors {
  const n = enc.count;
  const mask = (ids: Int32Array) => Float32Array.from(ids, (id) => (id > 0 ? 1 : 0));
  const common = {
    count: n,
    genreMask: tf.tensor2d(mask(enc.genreIds), [n, MAX_GENRES]),
    styleMask: tf.tensor2d(mask(enc.styleIds), [n, MAX_STYLES]),
    numeric: tf.tensor2d(enc.numeric, [n, NUMERIC_FEATURES.length]),
  };
  if (!weights) {
    return {
      ...common,
      charWindows: tf.tensor1d(windowIds(enc, c.convWidth), 'int32'),
      genreIds: tf.tensor1d(enc.genreIds, 'int32'),
      styleIds: tf.tensor1d(enc.styleIds, 'int32'),
      artistHash: tf.tensor1d(enc.artistHash, 'int32'),
      labelHash: tf.tensor1d(enc.labelHash, 'int32'),
    };
  }
  const table = (name: string) => w(weights, name).dataSync() as Float32Array;
  const dc = c.charEmbeddingDim;
  const { names, rowOf } = distinctNames(enc);
  const windows = windowsOf(names, c.convWidth);
  return {
    ...common,
    charWindowVectors: tf.tensor2d(lookupRows(table('charEmbedding'), dc, windows, false), [windows.length / c.convWidth, c.convWidth * dc]),
    nameRows: rowOf,
    genreVectors: tf.tensor2d(lookupRows(table('genreEmbedding'), c.genreEmbeddingDim, enc.genreIds, true), [n * MAX_GENRES, c.genreEmbeddingDim]),
    styleVectors: tf.tensor2d(lookupRows(table('styleEmbedding'), c.styleEmbeddingDim, enc.styleIds, true), [n * MAX_STYLES, c.styleEmbeddingDim]),
    artistIdVectors: tf.tensor2d(lookupRows(table('artistIdEmbedding'), c.identityEmbeddingDim, enc.artistHash, true), [n, c.identityEmbeddingDim]),
    labelIdVectors: tf.tensor2d(lookupRows(table('labelIdEmbedding'), c.identityEmbeddingDim, enc.labelHash, true), [n, c.identityEmbeddingDim]),
  };
}

export function disposeInputs(t: InputTensors): void {
  tf.dispose(
    [
      t.charWindows,
      t.charWindowVectors,
      t.genreIds,
      t.genreVectors,
      t.genreMask,
      t.styleIds,
      t.styleVectors,
      t.styleMask,
      t.numeric,
      t.artistHash,
      t.labelHash,
      t.artistIdVectors,
      t.labelIdVectors,
    ].filter((x) => x !== undefined) as tf.Tensor[],
  );
}

/**
 * table[ids] with a gradient that WASM can compute (training path; inference looks up in toTensors);
 * with zeroPadding, id 0 gives a zero row and no gradient. tfjs' own gather gradient needs
 * UnsortedSegmentSum, which WASM lacks; here d table[id] = Σ dy of the rows that looked id up,
 * summed in JS (a one-hot(ids)ᵀ · dy matMul gives the same, but its transpose of an
 * [ids × vocab] matrix costs more than the whole sum).
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D, zeroPadding = false): tf.Tensor2D {
  const [vocab, dim] = table.shape;
  const lookup = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
    // The forward lookup in JS as well: WASM's GatherV2 copies element by element.
    value: tf.tensor2d(lookupRows((args[0] as tf.Tensor).dataSync() as Float32Array, dim, ids.dataSync() as Int32Array, zeroPadding), [ids.size, dim]),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      const grads = (dy as tf.Tensor).dataSync();
      const idv = ids.dataSync();
      const out = new Float32Array(vocab * dim);
      for (let r = 0; r < idv.length; r++) {
        if (zeroPadding && idv[r] === 0) continue;
        const o = idv[r]! * dim;
        const g = r * dim;
        for (let k = 0; k < dim; k++) out[o + k]! += grads[g + k]!;
      }
      return tf.tensor2d(out, [vocab, dim]);
    },
  }));
  return lookup(table) as tf.Tensor2D;
}

/** max over axis 1 of [rows, positions, filters], with a gradient computed in JS: tfjs' own routes dy
 * through a broadcast Equal that took 40–90 ms per training step on WASM here. */
function maxOverPositions(x: tf.Tensor3D): tf.Tensor2D {
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor3D;
    const save = args[1] as tf.GradSaveFunc;
    const y = tf.max(input, 1);
    save([input, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [rows, positions, filters] = input.shape;
        const xs = saved[0]!.dataSync();
        const ys = saved[1]!.dataSync();
        const dys = (dy as tf.Tensor).dataSync();
        const dx = new Float32Array(rows * positions * filters);
        for (let r = 0; r < rows; r++) {
          for (let f = 0; f < filters; f++) {
            const target = ys[r * filters + f]!;
            // The first position holding the maximum takes the whole gradient.
            for (let p = 0; p < positions; p++) {
              const i = (r * positions + p) * filters + f;
              if (xs[i] === target) {
                dx[i] = dys[r * filters + f]!;
                break;
              }
            }
          }
        }
        return tf.tensor3d(dx, [rows, positions, filters]);
      },
    };
  });
  return f(x) as tf.Tensor2D;
}

/**
 * Char-CNN over NAME_LENGTH char ids: embedding, width-k convolution (windows · kernel), max over
 * positions, bias, ReLU. Max-pooling before bias + ReLU gives the same result (both are monotonic and
 * the bias is per filter) on a tensor `positions` times smaller.
 */
function charCnn(weights: Weights, c: KeepersConfig, t: InputTensors, rows: number): tf.Tensor2D {
  const k = c.convWidth;
  const positions = NAME_LENGTH - k + 1;
  if (t.charWindowVectors && t.nameRows) {
    // Inference: each distinct name once (every op here is row by row), then each row its name's output.
    const names = t.charWindowVectors.shape[0] / positions;
    const conv = tf.matMul(t.charWindowVectors, w(weights, 'convKernel')).reshape([names, positions, c.convFilters]) as tf.Tensor3D;
    const perName = tf.relu(tf.add(tf.max(conv, 1), w(weights, 'convBias'))) as tf.Tensor2D;
    // The rows picked in JS: WASM's GatherV2 copies element by element (5 ms for 2000 rows here).
    const picked = lookupRows(perName.dataSync() as Float32Array, c.convFilters, t.nameRows, false);
    return tf.tensor2d(picked, [rows, c.convFilters]);
  }
  const embedded = embeddingLookup(w(weights, 'charEmbedding') as tf.Tensor2D, t.charWindows!).reshape([rows * positions, k * c.charEmbeddingDim]);
  const conv = tf.matMul(embedded, w(weights, 'convKernel')).reshape([rows, positions, c.convFilters]) as tf.Tensor3D;
  return tf.relu(tf.add(maxOverPositions(conv), w(weights, 'convBias'))) as tf.Tensor2D;
}

/** Attention pooling of a padded id list: softmax(e · a) over the real ids, weighted sum; no ids → zeros. */
function attentionPool(
  table: tf.Variable,
  attention: tf.Variable,
  ids: tf.Tensor1D | undefined,
  vectors: tf.Tensor2D | undefined,
  mask: tf.Tensor2D,
  dim: number,
): tf.Tensor2D {
  const [n, slots] = mask.shape;
  const embedded = vectors
    ? vectors.reshape([n, slots, dim])
    : tf.mul(embeddingLookup(table as tf.Tensor2D, ids!).reshape([n, slots, dim]), mask.expandDims(2));
  const scores = tf.add(tf.matMul(embedded.reshape([n * slots, dim]), attention as tf.Tensor2D).reshape([n, slots]), tf.mul(tf.sub(mask, 1), 1e9));
  const attn = tf.softmax(scores);
  // [n, 1, slots] · [n, slots, dim]: the weighted sum as one batched matMul.
  return tf.matMul(attn.reshape([n, 1, slots]), embedded).reshape([n, dim]) as tf.Tensor2D;
}

/** Training lookup of identity buckets; bucket 0 (no name) reads as zeros and learns nothing, as in the inference lookup. */
function identityVectors(table: tf.Variable, ids: tf.Tensor1D): tf.Tensor2D {
  return embeddingLookup(table as tf.Tensor2D, ids, true);
}

/** x · kernel + bias (+ ReLU) as one fused kernel: fewer passes over memory, fewer ops. */
function dense(x: tf.Tensor2D, kernel: tf.Variable, bias: tf.Variable, activation: 'relu' | 'linear'): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: kernel as tf.Tensor2D, bias, activation }) as tf.Tensor2D;
}

/** Encoder: raw (unnormalised) embedding [n, embeddingDim]. */
export function encode(weights: Weights, c: KeepersConfig, t: InputTensors): tf.Tensor2D {
  const n = t.count;
  const names = charCnn(weights, c, t, 2 * n);
  const artist = tf.slice(names, [0, 0], [n, c.convFilters]);
  const label = tf.slice(names, [n, 0], [n, c.convFilters]);
  const genres = attentionPool(w(weights, 'genreEmbedding'), w(weights, 'genreAttention'), t.genreIds, t.genreVectors, t.genreMask, c.genreEmbeddingDim);
  const styles = attentionPool(w(weights, 'styleEmbedding'), w(weights, 'styleAttention'), t.styleIds, t.styleVectors, t.styleMask, c.styleEmbeddingDim);
  const artistId = t.artistIdVectors ?? identityVectors(w(weights, 'artistIdEmbedding'), t.artistHash!);
  const labelId = t.labelIdVectors ?? identityVectors(w(weights, 'labelIdEmbedding'), t.labelHash!);
  const x = tf.concat([artist, label, artistId, labelId, genres, styles, t.numeric], 1);
  const h1 = dense(x, w(weights, 'encoder1Kernel'), w(weights, 'encoder1Bias'), 'relu');
  const h2 = dense(h1, w(weights, 'encoder2Kernel'), w(weights, 'encoder2Bias'), 'relu');
  return dense(h2, w(weights, 'embeddingKernel'), w(weights, 'embeddingBias'), 'linear');
}

export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.div(x, tf.sqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))) as tf.Tensor2D;
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
  const x = inputMask ? (tf.mul(embedding, inputMask) as tf.Tensor2D) : embedding;
  let h = dense(x, w(weights, 'head1Kernel'), w(weights, 'head1Bias'), 'relu');
  if (hiddenMask) h = tf.mul(h, hiddenMask);
  const out = dense(h, w(weights, 'head2Kernel'), w(weights, 'head2Bias'), 'linear');
  const logit = tf.slice(out, [0, 0], [n, 1]).reshape([n]) as tf.Tensor1D;
  const raw = tf.slice(out, [0, 1], [n, 1]).reshape([n]);
  const [lo, hi] = c.logVarRange;
  // Smooth bound: log-variance can neither collapse to -∞ on perfectly fit labels nor explode,
  // and its gradient never dies the way a hard clip's does.
  const logVar = tf.add(lo, tf.mul(hi - lo, tf.sigmoid(raw))) as tf.Tensor1D;
  return { logit, logVar };
}
