// The combined loss and one optimisation step.
//
//   loss = wT · triplet + wB · BCE + wU · regulariser        (defaults 0.4 / 0.5 / 0.1)
//
// triplet     mean over triplets (a, p, n) of max(0, ‖ê_a − ê_p‖² − ‖ê_a − ê_n‖² + margin), ê = the
//             L2-normalised embedding (squared distances lie in [0, 4]; margin 1.0). 0 without triplets.
// BCE         sigmoid cross-entropy of the head's keep logit z (one dropout pass), optionally class-balanced:
//               Σ_i w_{y_i} · CE(y_i, σ(z_i + b)) / Σ_i w_{y_i},
//             w₁ = min(cap, 1 / (2π)), w₀ = min(cap, 1 / (2(1 − π))), b = log(w₁ / w₀), π = the
//             collector's keeper rate (TrainStepOptions.probeTarget), cap = classWeightCap; cap 0 (the
//             default) is plain BCE (w ≡ 1, b = 0). The offset b keeps the weighted loss's minimiser at
//             σ(z) = P(keeper | x) (per x the weighted optimum is σ(z + b) = w₁P / (w₁P + w₀(1 − P)),
//             i.e. z = logit P): the weights change how hard each class pulls, not the calibration the
//             loss aims at. Measured on real collections (README), weighting did not rank held-out
//             records better and made their probabilities worse calibrated, hence off by default.
// regulariser, with p = σ(z) (the same dropout pass), s = the predicted log-variance, sg(·) =
//             stop-gradient, β = confidencePenalty (default 1), π as above and
//             KLπ(p) = π·log(π/p) + (1 − π)·log((1 − π)/(1 − p)), the divergence of p from the prior:
//               mean_labelled( ½ · (y − sg(p))² · e^(−s) + ½ · s )        aleatoric variance (NLL)
//             + β · mean_labelled( KLπ(p) )                                confidence penalty
//             + mean_probes( KLπ(p) )                                      noise-contrastive prior
//             NLL: the Gaussian negative log-likelihood of the residual under the predicted variance.
//             With the residual's gradient stopped it trains only the log-variance output (and, through
//             it, the layers below), never the mean: unstopped, its e^(−s) weight pushed the mean hardest
//             onto rows already fitted. Its minimiser s = log r² would run to −∞ on perfectly fit labels,
//             so s is squashed smoothly into logVarRange ([−7, 0], σ from 0.03 to 1, the whole range of
//             a probability residual) by s = lo + (hi − lo) · sigmoid(raw): it neither collapses nor
//             explodes and its gradient never dies as with a hard clip. exp(s / 2) is predict's
//             `aleatoric`: an honest estimate of |y − p|.
//             Confidence penalty: label smoothing toward the prior. CE((1 − ε)·y + ε·π, p) =
//             (1 − ε)·CE(y, p) + ε·CE(π, p); this is the ε part, less the constant H(π) so that it is 0 at
//             p = π (with the weights 0.5 / 0.1 and β = 1, ε ≈ 0.17). It pulls every prediction on a
//             labelled row toward the prior, harder the farther p is: a confident prediction costs,
//             and p nears 0 or 1 only where the labels keep paying for it.
//             Probes: `priorProbes` random records (probes.ts), through the head without dropout, pulled
//             to the prior the same way. Without them the network extrapolates confidently and
//             Monte-Carlo uncertainty collapses on records nobody labelled.
//
// Missing fields: with balanceMissing (default), the step's rows of known class (labelled rows, and
// triplet rows by role: anchors and positives keep, negatives do not) are first balanced by
// features/missing.ts so keepers and non-keepers miss each field group equally often.
import { tf } from './tf';
import { dropoutMask } from './random';
import { disposeInputs, encode, head, headInput, l2Normalize, toTensors } from './network';
import { priorProbes } from './probes';
import { balanceMissingFields, concatEncoded } from '../features';
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
  /** Defaults: the model's config (learningRate, lossWeights, tripletMargin, classWeightCap, confidencePenalty, balanceMissing). */
  learningRate?: number;
  lossWeights?: KeepersConfig['lossWeights'];
  tripletMargin?: number;
  classWeightCap?: number;
  confidencePenalty?: number;
  balanceMissing?: boolean;
  /**
   * The prior π: the collector's keeper rate, the right answer for a record the labels say nothing
   * about. Target of the prior probes and of the confidence penalty, and the class shares of the BCE
   * weights. Default: the Laplace-smoothed keeper rate of this batch's labels, (keepers + 1) /
   * (labels + 2); onlineUpdate passes the rate over all labels so far.
   */
  probeTarget?: number;
}

/** The BCE's class weights and logit offset for keeper rate π (see the header). */
export function classWeights(keeperRate: number, cap: number): { keeper: number; other: number; offset: number } {
  if (!(cap > 0)) return { keeper: 1, other: 1, offset: 0 };
  const pi = Math.min(1 - 1e-6, Math.max(1e-6, keeperRate));
  const keeper = Math.min(cap, 1 / (2 * pi));
  const other = Math.min(cap, 1 / (2 * (1 - pi)));
  return { keeper, other, offset: Math.log(keeper / other) };
}

/** Class of each row: its label, else its triplet role (anchor / positive keep, negative does not), else NaN. */
function rowClasses(batch: TrainBatch): Float32Array {
  const classes = Float32Array.from(batch.labels);
  for (const [a, p, n] of batch.triplets) {
    if (Number.isNaN(batch.labels[a]!)) classes[a] = 1;
    if (Number.isNaN(batch.labels[p]!)) classes[p] = 1;
    if (Number.isNaN(batch.labels[n]!)) classes[n] = 0;
  }
  return classes;
}

/** Identity forward, zero gradient (tfjs has no stop-gradient op). */
const stopGradient = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => ({
  value: (args[0] as tf.Tensor).clone(),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor),
}));

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
 * Dropout masks, probes and missing-field masks come from model.trainRng, so a training run is
 * reproducible from the model seed (onlineUpdate reseeds it from the update's seed).
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
  const keepers = labelled.reduce((k, i) => k + batch.labels[i]!, 0);
  const prior = opts.probeTarget ?? (keepers + 1) / (labelled.length + 2);
  if (!(prior >= 0 && prior <= 1)) throw new Error(`trainStep: probeTarget must be in [0, 1], got ${prior}`);
  const balanced = (opts.balanceMissing ?? c.balanceMissing) ? balanceMissingFields(batch.examples, rowClasses(batch), model.trainRng).enc : batch.examples;
  // Prior probes join the rows only when there are labels to regularise (see probes.ts).
  const probeCount = labelled.length > 0 ? c.priorProbes : 0;
  const rowsBefore = balanced.count;
  const examples = probeCount > 0 ? concatEncoded([balanced, priorProbes(model.trainRng, probeCount)]) : balanced;
  const n = examples.count;
  const inMask = dropoutMask(model.trainRng, n * d, c.dropout);
  const hidMask = dropoutMask(model.trainRng, n * hidden, c.dropout);
  // Probes are pulled to the prior on the full (no-dropout) head: training them under dropout would
  // teach the head to say the prior *robustly*, i.e. with little Monte-Carlo spread, the opposite of the goal.
  inMask.fill(1, rowsBefore * d);
  hidMask.fill(1, rowsBefore * hidden);
  const [sa, sp, sn] = selectors(batch.triplets, n);
  const cw = classWeights(prior, opts.classWeightCap ?? c.classWeightCap);
  const beta = opts.confidencePenalty ?? c.confidencePenalty;
  const labelSelector = new Float32Array(n);
  const bceWeight = new Float32Array(n);
  const probeSelector = new Float32Array(n);
  const y = new Float32Array(n);
  let weightSum = 0;
  for (const i of labelled) {
    labelSelector[i] = 1;
    y[i] = batch.labels[i]!;
    bceWeight[i] = y[i] === 1 ? cw.keeper : cw.other;
    weightSum += bceWeight[i]!;
  }
  for (let i = rowsBefore; i < n; i++) probeSelector[i] = 1;
  // KLπ(p) = CE(π, p) − H(π); H(π) = 0 at π ∈ {0, 1}.
  const entropy = prior > 0 && prior < 1 ? -(prior * Math.log(prior) + (1 - prior) * Math.log(1 - prior)) : 0;
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
      const target = tf.tensor1d(y);
      const labelMask = tf.tensor1d(labelSelector);
      const count = labelled.length;
      // Cross-entropy of target t for logit x, numerically stable: softplus(x) − x·t, with
      // softplus(x) = max(x, 0) + log(1 + e^(−|x|)) (computed once when BCE and KL share the logit).
      const softplus = (x: tf.Tensor) => tf.add(tf.relu(x), tf.log1p(tf.exp(tf.neg(tf.abs(x)))));
      const spLogit = softplus(logit);
      const shifted = cw.offset === 0 ? logit : tf.add(logit, cw.offset);
      const bceRows = tf.sub(cw.offset === 0 ? spLogit : softplus(shifted), tf.mul(shifted, target));
      bce = tf.div(tf.sum(tf.mul(bceRows, tf.tensor1d(bceWeight))), weightSum);
      const residual = tf.sub(target, stopGradient(tf.sigmoid(logit)) as tf.Tensor);
      const nll = tf.mul(0.5, tf.add(tf.mul(tf.square(residual), tf.exp(tf.neg(logVar))), logVar));
      const kl = tf.sub(tf.sub(spLogit, tf.mul(logit, prior)), entropy);
      regulariser = tf.div(tf.sum(tf.mul(beta > 0 ? tf.add(nll, tf.mul(beta, kl)) : nll, labelMask)), count);
      if (probeCount > 0) regulariser = tf.add(regulariser, tf.div(tf.sum(tf.mul(kl, tf.tensor1d(probeSelector))), probeCount));
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
  const { f, finish } = lossFunction(model, batch, opts);
  const { value, grads } = tf.variableGrads(f, model.variables);
  model.applyGradients(grads, opts.learningRate ?? model.config.learningRate);
  tf.dispose(Object.values(grads));
  const parts = finish(value);
  value.dispose();
  return parts;
}

/**
 * The loss, and its gradient per named weight, without updating anything (tests check which weights
 * each part of the loss reaches). `gradNorms`: the L2 norm per weight; `grads`: the values.
 */
export function lossGradients(
  model: KeepersModel,
  batch: TrainBatch,
  opts: TrainStepOptions = {},
): { parts: LossParts; gradNorms: Record<string, number>; grads: Record<string, Float32Array> } {
  checkBatch(batch);
  const { f, finish } = lossFunction(model, batch, opts);
  const { value, grads } = tf.variableGrads(f, model.variables);
  const gradNorms: Record<string, number> = {};
  const values: Record<string, Float32Array> = {};
  for (const [name, v] of model.weights) {
    const g = grads[v.name];
    values[name] = g ? (g.dataSync() as Float32Array).slice() : new Float32Array(v.size);
    gradNorms[name] = g ? tf.tidy(() => tf.norm(g).dataSync()[0]!) : 0;
  }
  tf.dispose(Object.values(grads));
  const parts = finish(value);
  value.dispose();
  return { parts, gradNorms, grads: values };
}

/** lossGradients without the gradient values. */
export function lossGradientNorms(model: KeepersModel, batch: TrainBatch, opts: TrainStepOptions = {}): { parts: LossParts; gradNorms: Record<string, number> } {
  const { parts, gradNorms } = lossGradients(model, batch, opts);
  return { parts, gradNorms };
}
