import { tf } from './tf';
import { resolveConfig, type KeepersConfig } from './config';
import { mulberry32 } from './random';
import { disposeInputs, encode, initialValues, l2Normalize, toTensors, weightSpecs, type Weights } from './network';
import type { EncodedReleases } from '../features';
import type { TastePosterior } from './posterior';

/** Rows encoded per call: bounds memory when embedding a whole catalogue. */
export const ENCODE_CHUNK = 2048;

export class KeepersModel {
  readonly config: KeepersConfig;
  /** Weights by name, in weightSpecs(config) order. */
  readonly weights: Weights;
  /** Seeds training-time dropout; advanced by every trainStep so runs are reproducible from create(seed). */
  trainRng: () => number;
  /**
   * The Bayesian head of the default learner (posterior.ts), fitted on the labels after each update;
   * null for the `seed` policy, whose head is the Monte-Carlo-dropout MLP.
   */
  posterior: TastePosterior | null = null;
  private optimizer: tf.Optimizer | null = null;
  private optimizerLr = 0;
  private disposed = false;

  private constructor(config: KeepersConfig, weights: Weights, seed: number) {
    this.config = config;
    this.weights = weights;
    this.trainRng = mulberry32(seed ^ 0x9e3779b9);
  }

  /** A fresh model: Glorot-uniform weights from a seeded PRNG (identical on every backend). */
  static create(config: Partial<KeepersConfig> = {}, seed = 42): KeepersModel {
    const c = resolveConfig(config);
    const rng = mulberry32(seed);
    const weights: Weights = new Map();
    for (const spec of weightSpecs(c)) {
      weights.set(spec.name, tf.variable(tf.tensor(initialValues(spec, rng), spec.shape, 'float32'), true));
    }
    return new KeepersModel(c, weights, seed);
  }

  /** A model whose weights are `values` (in weightSpecs order); used by loadArtifacts. */
  static fromValues(config: KeepersConfig, values: Float32Array[], seed = 42): KeepersModel {
    const specs = weightSpecs(config);
    if (values.length !== specs.length) throw new Error(`expected ${specs.length} weight arrays, got ${values.length}`);
    const weights: Weights = new Map();
    specs.forEach((spec, i) => weights.set(spec.name, tf.variable(tf.tensor(values[i]!, spec.shape, 'float32'), true)));
    return new KeepersModel(config, weights, seed);
  }

  get variables(): tf.Variable[] {
    return [...this.weights.values()];
  }

  /** The Adam optimizer of online updates; recreated (moments reset) when the learning rate changes. */
  getOptimizer(learningRate = this.config.learningRate): tf.Optimizer {
    this.assertLive();
    if (!this.optimizer || this.optimizerLr !== learningRate) {
      this.optimizer?.dispose();
      this.optimizer = tf.train.adam(learningRate);
      this.optimizerLr = learningRate;
    }
    return this.optimizer;
  }

  /** Raw encoder output [n, embeddingDim] (no dropout), computed in chunks. Caller disposes. */
  encodeRaw(enc: EncodedReleases): tf.Tensor2D {
    this.assertLive();
    if (enc.count === 0) return tf.zeros([0, this.config.embeddingDim]);
    const parts: tf.Tensor2D[] = [];
    for (let start = 0; start < enc.count; start += ENCODE_CHUNK) {
      const chunk = start === 0 && enc.count <= ENCODE_CHUNK ? enc : sliceRows(enc, start, Math.min(enc.count, start + ENCODE_CHUNK));
      const inputs = toTensors(chunk, this.config, this.weights);
      parts.push(tf.tidy(() => encode(this.weights, this.config, inputs)));
      disposeInputs(inputs);
    }
    if (parts.length === 1) return parts[0]!;
    const all = tf.concat(parts, 0);
    tf.dispose(parts);
    return all;
  }

  /** L2-normalised embeddings [n, embeddingDim] (inference, no dropout). Caller disposes. */
  embed(enc: EncodedReleases): tf.Tensor2D {
    const raw = this.encodeRaw(enc);
    const out = tf.tidy(() => l2Normalize(raw));
    raw.dispose();
    return out;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.optimizer?.dispose();
    for (const v of this.weights.values()) v.dispose();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private assertLive(): void {
    if (this.disposed) throw new Error('this KeepersModel has been disposed');
  }
}

function sliceRows(enc: EncodedReleases, start: number, end: number): EncodedReleases {
  const n = end - start;
  const a = enc.artistChars.length / enc.count;
  const g = enc.genreIds.length / enc.count;
  const s = enc.styleIds.length / enc.count;
  const k = enc.numeric.length / enc.count;
  return {
    count: n,
    releaseIds: enc.releaseIds.slice(start, end),
    artistChars: enc.artistChars.subarray(start * a, end * a),
    labelChars: enc.labelChars.subarray(start * a, end * a),
    genreIds: enc.genreIds.subarray(start * g, end * g),
    styleIds: enc.styleIds.subarray(start * s, end * s),
    numeric: enc.numeric.subarray(start * k, end * k),
    artistHash: enc.artistHash.subarray(start, end),
    labelHash: enc.labelHash.subarray(start, end),
    identity: enc.identity.slice(start, end),
  };
}
