// The combined loss and one optimisation step.
//
//   loss = wT · triplet + wB · BCE + wU · regulariser        (defaults 0.4 / 0.5 / 0.1)
//
// triplet     mean over triplets (a, p, n) of max(0, ‖ê_a − ê_p‖² − ‖ê_a − ê_n‖² + margin), ê = the
//             L2-normalised embedding (squared distances lie in [0, 4]; margin 1.0). 0 without triplets.
// BCE         sigmoid cross-entropy of the head's keep logit (one dropout pass) against the 0/1 label.
// regulariser Gaussian negative log-likelihood of the residual r = y − p (p = sigmoid(logit)) under
//             the predicted variance σ² = exp(s):   mean( ½ · r² · e^(−s) + ½ · s ).
//             Why: a confident wrong prediction (large r² with small σ²) costs a lot, so the head learns
//             where it is unreliable (the aleatoric output); the ½·s term stops σ² from growing to
//             excuse every error. Its minimiser is s = log r², which would run to −∞ on perfectly fit
//             labels: s is therefore squashed smoothly into logVarRange (default [−7, 0], σ between
//             0.03 and 1, the whole range a residual of a probability can have) by
//             s = lo + (hi − lo) · sigmoid(raw), so it neither collapses nor explodes and its gradient
//             never dies as with a hard clip.
//             Plus the same NLL on `priorProbes` random records (probes.ts) whose target is the
//             collector's keeper rate (the prior), through the head without dropout:
//             mean over labelled rows + mean over probes. Without it the network extrapolates
//             confidently and Monte-Carlo uncertainty collapses on records nobody labelled.
import { tf } from './tf';
import { dropoutMask } from './random';
import { disposeInputs, encode, head, headInput, l2Normalize, toTensors } from './network';
import { priorProbes } from './probes';
import { concatEncoded } from '../features';
import type { KeepersModel } from './model';
import type { KeepersConfig } from './config';
import type { EncodedReleases } from '../features';

export type Triplet = [anchor: number, positive: number, negative: number];

export interface TrainBatch {
  examples: EncodedReleases;
  /** 0 | 1 per row of examples; NaN = unlabelled row (used by triplets only, no BCE / regulariser). */
  labels: Float32Array;
  /** Row indices into examples. */
  triplets: Triplet[];
}

export interface LossParts {
  loss: number;
  triplet: number;
  bce: number;
  regulariser: number;
}

export interface TrainStepOptions {
  /** Defaults: the model's config (learningRate, lossWeights, tripletMargin). */
  learningRate?: number;
  lossWeights?: KeepersConfig['lossWeights'];
  tripletMargin?: number;
  /**
   * Target keep-probability of the prior probes: the collector's keeper rate, the right answer for a
   * record the labels say nothing about. Default: the Laplace-smoothed keeper rate of this batch's
   * labels, (keepers + 1) / (labels + 2); onlineUpdate passes the rate over all labels so far.
   */
  probeTarget?: number;
}

function checkBatch(batch: TrainBatch): void {
  const n = batch.examples.count;
  if (batch.labels.length !== n) throw new Error(`trainStep: ${batch.labels.length} labels for ${n} examples`);
  for (const [i, t] of batch.triplets.entries()) {
    if (t.length !== 3 || t.some((r) => !Number.isInteger(r) || r < 0 || r >= n)) {
      throw new Error(`trainStep: triplet ${i} (${t.join(', ')}) has a row outside 0..${n - 1}`);
    }
  }
  for (const [i, y] of batch.labels.entries()) {
    if (!(y === 0 || y === 1 || Number.isNaN(y))) throw new Error(`trainStep: label ${i} is ${y}, expected 0, 1 or NaN`);
  }
}

/** One-hot row selectors [t, n]: selecting rows by matMul keeps the gradient WASM-computable. */
function selectors(triplets: Triplet[], n: number): [Float32Array, Float32Array, Float32Array] {
  const m = triplets.length;
  const s: [Float32Array, Float32Array, Float32Array] = [new Float32Array(m * n), new Float32Array(m * n), new Float32Array(m * n)];
  triplets.forEach((t, i) => t.forEach((row, role) => (s[role]![i * n + row] = 1)));
  return s;
}

/**
 * Builds the scalar loss for `batch` as a closure for tf.variableGrads, plus its parts (kept).
 * Dropout masks come from model.trainRng, so a training run is reproducible from the model seed.
 */
function lossFunction(model: KeepersModel, batch: TrainBatch, opts: TrainStepOptions) {
  const c: KeepersConfig = model.config;
  const lossWeights = opts.lossWeights ?? c.lossWeights;
  const margin = opts.tripletMargin ?? c.tripletMargin;
  const d = c.embeddingDim;
  const hidden = c.hidden[2];
  const labelled: number[] = [];
  batch.labels.forEach((y, i) => {
    if (!Number.isNaN(y)) labelled.push(i);
  });
  // Prior probes join the rows only when there are labels to regularise (see probes.ts).
  const probeCount = labelled.length > 0 ? c.priorProbes : 0;
  const rowsBefore = batch.examples.count;
  const examples = probeCount > 0 ? concatEncoded([batch.examples, priorProbes(model.trainRng, probeCount)]) : batch.examples;
  const n = examples.count;
  const inMask = dropoutMask(model.trainRng, n * d, c.dropout);
  const hidMask = dropoutMask(model.trainRng, n * hidden, c.dropout);
  // Probes are pulled to 0.5 on the full (no-dropout) head: training them under dropout would teach
  // the head to say 0.5 *robustly*, i.e. with little Monte-Carlo spread, the opposite of the goal.
  inMask.fill(1, rowsBefore * d);
  hidMask.fill(1, rowsBefore * hidden);
  const [sa, sp, sn] = selectors(batch.triplets, n);
  const labelSelector = new Float32Array(n);
  const probeSelector = new Float32Array(n);
  const y = new Float32Array(n);
  for (const i of labelled) {
    labelSelector[i] = 1;
    y[i] = batch.labels[i]!;
  }
  const keepers = labelled.reduce((k, i) => k + batch.labels[i]!, 0);
  const probeTarget = opts.probeTarget ?? (keepers + 1) / (labelled.length + 2);
  if (!(probeTarget >= 0 && probeTarget <= 1)) throw new Error(`trainStep: probeTarget must be in [0, 1], got ${probeTarget}`);
  for (let i = rowsBefore; i < n; i++) {
    probeSelector[i] = 1;
    y[i] = probeTarget;
  }
  const parts: { triplet?: tf.Scalar; bce?: tf.Scalar; regulariser?: tf.Scalar } = {};
  const inputs = toTensors(examples, c);
  const f = () => {
    const raw = encode(model.weights, c, inputs);
    let triplet: tf.Scalar = tf.scalar(0);
    const m = batch.triplets.length;
    if (m > 0) {
      const e = l2Normalize(raw);
      const pick = (sel: Float32Array) => tf.matMul(tf.tensor2d(sel, [m, n]), e);
      const a = pick(sa);
      const dPos = tf.sum(tf.square(tf.sub(a, pick(sp))), 1);
      const dNeg = tf.sum(tf.square(tf.sub(a, pick(sn))), 1);
      triplet = tf.mean(tf.relu(tf.add(tf.sub(dPos, dNeg), margin)));
    }
    let bce: tf.Scalar = tf.scalar(0);
    let regulariser: tf.Scalar = tf.scalar(0);
    if (labelled.length > 0) {
      const { logit, logVar } = head(model.weights, c, headInput(raw), tf.tensor2d(inMask, [n, d]), tf.tensor2d(hidMask, [n, hidden]));
      const weight = tf.tensor1d(labelSelector);
      const target = tf.tensor1d(y);
      const count = labelled.length;
      // Per-row BCE, masked to labelled rows: max(z,0) − z·y + log(1 + e^(−|z|)) (numerically stable).
      const perRow = tf.add(tf.sub(tf.relu(logit), tf.mul(logit, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logit)))));
      bce = tf.div(tf.sum(tf.mul(perRow, weight)), count);
      const residual = tf.sub(target, tf.sigmoid(logit));
      const nll = tf.mul(0.5, tf.add(tf.mul(tf.square(residual), tf.exp(tf.neg(logVar))), logVar));
      regulariser = tf.div(tf.sum(tf.mul(nll, weight)), count);
      if (probeCount > 0) regulariser = tf.add(regulariser, tf.div(tf.sum(tf.mul(nll, tf.tensor1d(probeSelector))), probeCount));
    }
    parts.triplet = tf.keep(triplet);
    parts.bce = tf.keep(bce);
    parts.regulariser = tf.keep(regulariser);
    const w = lossWeights;
    return tf.addN([tf.mul(w.triplet, triplet), tf.mul(w.bce, bce), tf.mul(w.uncertainty, regulariser)]) as tf.Scalar;
  };
  const finish = (total: tf.Scalar): LossParts => {
    const out: LossParts = {
      loss: total.dataSync()[0]!,
      triplet: parts.triplet!.dataSync()[0]!,
      bce: parts.bce!.dataSync()[0]!,
      regulariser: parts.regulariser!.dataSync()[0]!,
    };
    tf.dispose([parts.triplet!, parts.bce!, parts.regulariser!]);
    disposeInputs(inputs);
    return out;
  };
  return { f, finish };
}

/** One Adam step on the combined loss. Returns the loss parts before the step. */
export function trainStep(model: KeepersModel, batch: TrainBatch, opts: TrainStepOptions = {}): LossParts {
  checkBatch(batch);
  if (batch.triplets.length === 0 && batch.labels.every((y) => Number.isNaN(y))) {
    return { loss: 0, triplet: 0, bce: 0, regulariser: 0 }; // nothing to learn from (also covers an empty batch)
  }
  const optimizer = model.getOptimizer(opts.learningRate ?? model.config.learningRate);
  const { f, finish } = lossFunction(model, batch, opts);
  const { value, grads } = tf.variableGrads(f, model.variables);
  optimizer.applyGradients(grads);
  tf.dispose(Object.values(grads));
  const parts = finish(value);
  value.dispose();
  return parts;
}

/**
 * The loss and the L2 norm of its gradient per named weight, without updating anything
 * (tests check that the gradient reaches the char-CNN and the genre/style embeddings).
 */
export function lossGradientNorms(
  model: KeepersModel,
  batch: TrainBatch,
  opts: TrainStepOptions = {},
): { parts: LossParts; gradNorms: Record<string, number> } {
  checkBatch(batch);
  const { f, finish } = lossFunction(model, batch, opts);
  const { value, grads } = tf.variableGrads(f, model.variables);
  const gradNorms: Record<string, number> = {};
  for (const [name, v] of model.weights) {
    const g = grads[v.name];
    gradNorms[name] = g ? tf.tidy(() => tf.norm(g).dataSync()[0]!) : 0;
  }
  tf.dispose(Object.values(grads));
  const parts = finish(value);
  value.dispose();
  return { parts, gradNorms };
}
