import { tf } from './tf';
import { resolveConfig, type KeepersConfig } from './config';
import { mulberry32 } from './random';
import { disposeInputs, encode, initialValues, l2Normalize, toTensors, weightSpecs, type Weights } from './network';
import type { EncodedReleases } from '../features';
import type { TastePosterior } from './posterior';

/** Adam's constants (tf.train.adam's defaults). */
export const ADAM = Object.freeze({ beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });

/** Adam's step count and first / second moments, one array per weight in weightSpecs order. */
export interface AdamState {
  iterations: number;
  first: Float32Array[];
  second: Float32Array[];
}

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
  /** Adam's steps so far and its moments per weight name (created at a weight's first gradient). */
  private adamSteps = 0;
  private readonly adamFirst = new Map<string, tf.Variable>();
  private readonly adamSecond = new Map<string, tf.Variable>();
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

  /**
   * One Adam step (β₁ 0.9, β₂ 0.999, ε 1e-7, bias-corrected, as tf.train.adam) with `grads` keyed by
   * the tf.Variable names of `variables`; a weight without a gradient is left alone. Adam's state (step
   * count, moments) lives here rather than in a tf.Optimizer so that it can be saved with the weights
   * (artifacts.ts) and an update of stored weights continues the same optimiser. The moments do not
   * depend on the learning rate, so changing it keeps them.
   */
  applyGradients(grads: tf.NamedTensorMap, learningRate: number): void {
    this.assertLive();
    if (!(learningRate > 0)) throw new Error(`applyGradients: learningRate must be > 0, got ${learningRate}`);
    this.adamSteps++;
    const t = this.adamSteps;
    const c1 = 1 - ADAM.beta1 ** t;
    const c2 = 1 - ADAM.beta2 ** t;
    tf.tidy(() => {
      for (const [name, w] of this.weights) {
        const g = grads[w.name];
        if (!g) continue;
        const m = this.moment(this.adamFirst, name, w);
        const v = this.moment(this.adamSecond, name, w);
        const mNew = tf.add(tf.mul(m, ADAM.beta1), tf.mul(g, 1 - ADAM.beta1));
        const vNew = tf.add(tf.mul(v, ADAM.beta2), tf.mul(tf.square(g), 1 - ADAM.beta2));
        m.assign(mNew);
        v.assign(vNew);
        // w −= lr · (m / c1) / (√(v / c2) + ε)
        const denom = tf.add(tf.mul(tf.sqrt(vNew), 1 / Math.sqrt(c2)), ADAM.epsilon);
        w.assign(tf.sub(w, tf.mul(tf.div(mNew, denom), learningRate / c1)));
      }
    });
  }

  private moment(store: Map<string, tf.Variable>, name: string, like: tf.Variable): tf.Variable {
    let v = store.get(name);
    if (!v) {
      v = tf.variable(tf.zerosLike(like), false);
      store.set(name, v);
    }
    return v;
  }

  /** Adam's state in weightSpecs order (moments of weights never updated are zeros); null before the first step. */
  getOptimizerState(): AdamState | null {
    this.assertLive();
    if (this.adamSteps === 0) return null;
    const read = (store: Map<string, tf.Variable>, name: string, w: tf.Variable) =>
      store.has(name) ? (store.get(name)!.dataSync() as Float32Array).slice() : new Float32Array(w.size);
    const names = [...this.weights.keys()];
    return {
      iterations: this.adamSteps,
      first: names.map((n) => read(this.adamFirst, n, this.weights.get(n)!)),
      second: names.map((n) => read(this.adamSecond, n, this.weights.get(n)!)),
    };
  }

  /** Restores Adam's state (from getOptimizerState, e.g. through artifacts): the next step continues it. */
  setOptimizerState(state: AdamState): void {
    this.assertLive();
    const names = [...this.weights.keys()];
    if (!Number.isInteger(state.iterations) || state.iterations < 0) throw new Error(`optimizer state: iterations must be a non-negative integer, got ${state.iterations}`);
    if (state.first.length !== names.length || state.second.length !== names.length) {
      throw new Error(`optimizer state: has moments for ${state.first.length} / ${state.second.length} weights, the model has ${names.length}`);
    }
    names.forEach((name, i) => {
      const size = this.weights.get(name)!.size;
      for (const [label, arr] of [['first', state.first[i]!], ['second', state.second[i]!]] as const) {
        if (arr.length !== size) throw new Error(`optimizer state: ${label} moment of ${name} has ${arr.length} values, the weight has ${size}`);
      }
    });
    this.disposeOptimizer();
    this.adamSteps = state.iterations;
    names.forEach((name, i) => {
      const shape = this.weights.get(name)!.shape;
      this.adamFirst.set(name, tf.variable(tf.tensor(state.first[i]!, shape, 'float32'), false));
      this.adamSecond.set(name, tf.variable(tf.tensor(state.second[i]!, shape, 'float32'), false));
    });
  }

  private disposeOptimizer(): void {
    for (const v of [...this.adamFirst.values(), ...this.adamSecond.values()]) v.dispose();
    this.adamFirst.clear();
    this.adamSecond.clear();
    this.adamSteps = 0;
  }

  /** Restarts training-time randomness (dropout masks, probes, masking) from `seed`. */
  reseedTraining(seed: number): void {
    this.trainRng = mulberry32(seed ^ 0x9e3779b9);
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
    this.disposeOptimizer();
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
