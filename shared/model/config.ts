// Every hyperparameter of the model, the losses and the online update in
// ONE object (the specified defaults: the `seed` policy's). Callers override with Partial<KeepersConfig>; artifacts store the
// full config, so weights always come back with the architecture they were trained with.
import { EXPLORATION_DEFAULTS } from '../bandit/select';
import { DEFAULT_POSTERIOR, resolvePosteriorConfig, type PosteriorConfig } from './posterior';

export interface KeepersConfig {
  /** Size of the record embedding (encoder output, triplet-loss space, head input). */
  embeddingDim: number;
  /** [encoder hidden 1, encoder hidden 2, bandit head hidden]: in → 128 → 64 → embedding; embedding → 32 → (logit, log-variance). */
  hidden: [number, number, number];
  /** Dropout rate of the bandit head (its input and its hidden layer); Monte-Carlo dropout at inference. */
  dropout: number;
  /** Monte-Carlo dropout passes of the head per prediction. */
  mcSamples: number;
  /** Adam learning rate of the online update. */
  learningRate: number;
  /** Passes over (the batch + triplets) per online update. */
  epochs: number;
  batchSize: number;
  poolSize: number;
  lossWeights: { triplet: number; bce: number; uncertainty: number };
  /** Margin of the triplet loss on squared distances between L2-normalised embeddings (range 0..4). */
  tripletMargin: number;
  /** Encoder sizes. */
  charEmbeddingDim: number;
  convFilters: number;
  convWidth: number;
  genreEmbeddingDim: number;
  styleEmbeddingDim: number;
  /** Width of the hashed artist and label identity embeddings (IDENTITY_BUCKETS rows each) beside the char-CNN. */
  identityEmbeddingDim: number;
  /** Bounds of the predicted log-variance (a smooth sigmoid squash, see train.ts). */
  logVarRange: [number, number];
  /** Triplets per online update at most (anchors × positives × negatives is capped to this). */
  maxTriplets: number;
  /**
   * Random "prior probe" records per training step whose target in the uncertainty regulariser is the
   * collector's keeper rate (a noise-contrastive prior, see probes.ts): keeps Monte-Carlo uncertainty
   * high away from the labels. 0 turns them off.
   */
  priorProbes: number;
  /**
   * Class balance of the BCE: each class is weighted by the inverse of its share of the labels,
   * min(classWeightCap, 1 / (2 · share)), with a matching logit offset so the loss still aims at
   * calibrated probabilities (train.ts). 0 (default) = plain, unweighted BCE: measured on real
   * collections, weighting (cap 2 or 5) ranked held-out records no better and calibrated them worse.
   */
  classWeightCap: number;
  /** β of the regulariser's confidence penalty β · KL(prior ‖ p) on labelled rows (train.ts); 0 = off. */
  confidencePenalty: number;
  /**
   * Mask field groups (genres, styles, date, formats …) at random in training rows of the class that
   * has them more often, so keepers and non-keepers miss each group equally often (features/missing.ts):
   * training cannot tell a keeper by which fields are missing.
   */
  balanceMissing: boolean;
  /**
   * Earlier labels replayed in each online update, sampled from history (0 = off: the `seed` policy trains
   * on the newest batch only, as specified). A challenger against forgetting, measured by the simulator.
   */
  replay: number;
  /** Hyperparameters of the Bayesian head (posterior.ts) used by the default learner. */
  posterior: PosteriorConfig;
}

export const DEFAULT_CONFIG: KeepersConfig = Object.freeze({
  embeddingDim: 64,
  hidden: [128, 64, 32],
  dropout: 0.2,
  mcSamples: 30,
  learningRate: 1e-4,
  epochs: 10,
  batchSize: EXPLORATION_DEFAULTS.batchSize,
  poolSize: 1000,
  lossWeights: { triplet: 0.4, bce: 0.5, uncertainty: 0.1 },
  tripletMargin: 1.0,
  charEmbeddingDim: 16,
  convFilters: 48,
  convWidth: 3,
  genreEmbeddingDim: 8,
  styleEmbeddingDim: 16,
  identityEmbeddingDim: 8,
  logVarRange: [-7, 0],
  maxTriplets: 64,
  priorProbes: 16,
  classWeightCap: 0,
  confidencePenalty: 1,
  balanceMissing: true,
  replay: 0,
  posterior: DEFAULT_POSTERIOR,
}) as KeepersConfig;

/** DEFAULT_CONFIG with `overrides` (nested objects merged), checked for values that cannot work. */
export function resolveConfig(overrides: Partial<KeepersConfig> = {}, base: KeepersConfig = DEFAULT_CONFIG): KeepersConfig {
  const c: KeepersConfig = {
    ...base,
    ...overrides,
    hidden: [...(overrides.hidden ?? base.hidden)] as [number, number, number],
    lossWeights: { ...base.lossWeights, ...overrides.lossWeights },
    logVarRange: [...(overrides.logVarRange ?? base.logVarRange)] as [number, number],
    posterior: resolvePosteriorConfig(overrides.posterior ?? {}, base.posterior ?? DEFAULT_POSTERIOR),
  };
  const problems: string[] = [];
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v <= 0) problems.push(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('embeddingDim', c.embeddingDim);
  if (c.hidden.length !== 3) problems.push(`hidden must have 3 sizes [encoder, encoder, head], got ${c.hidden.length}`);
  c.hidden.forEach((h, i) => positiveInt(`hidden[${i}]`, h));
  for (const k of ['mcSamples', 'epochs', 'batchSize', 'poolSize', 'charEmbeddingDim', 'convFilters', 'convWidth', 'genreEmbeddingDim', 'styleEmbeddingDim', 'identityEmbeddingDim', 'maxTriplets'] as const) {
    positiveInt(k, c[k]);
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) problems.push(`dropout must be in [0, 1), got ${c.dropout}`);
  if (!(c.learningRate > 0)) problems.push(`learningRate must be > 0, got ${c.learningRate}`);
  if (!(c.logVarRange[0] < c.logVarRange[1])) problems.push(`logVarRange must be [low, high] with low < high`);
  if (!Number.isInteger(c.priorProbes) || c.priorProbes < 0) problems.push(`priorProbes must be a non-negative integer, got ${c.priorProbes}`);
  if (!(c.classWeightCap >= 0)) problems.push(`classWeightCap must be >= 0 (0 = plain BCE), got ${c.classWeightCap}`);
  if (!(c.confidencePenalty >= 0)) problems.push(`confidencePenalty must be >= 0, got ${c.confidencePenalty}`);
  if (typeof c.balanceMissing !== 'boolean') problems.push(`balanceMissing must be true or false, got ${String(c.balanceMissing)}`);
  if (!Number.isInteger(c.replay) || c.replay < 0) problems.push(`replay must be a non-negative integer, got ${c.replay}`);
  if (problems.length > 0) throw new Error(`invalid KeepersConfig: ${problems.join('; ')}`);
  return c;
}
