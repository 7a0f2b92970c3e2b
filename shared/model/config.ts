// Every hyperparameter of the model, the losses, the online update and the exploration schedule in
// ONE object (DESIGN §4 defaults). Callers override with Partial<KeepersConfig>; artifacts store the
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
  exploration: { start: number; decay: number; floor: number };
  /** Encoder sizes. */
  charEmbeddingDim: number;
  convFilters: number;
  convWidth: number;
  genreEmbeddingDim: number;
  styleEmbeddingDim: number;
  /** Bounds of the predicted log-variance (a smooth sigmoid squash, see losses.ts). */
  logVarRange: [number, number];
  /** Triplets per online update at most (anchors × positives × negatives is capped to this). */
  maxTriplets: number;
  /**
   * Random "prior probe" records per training step whose target in the uncertainty regulariser is 0.5
   * (a noise-contrastive prior, see probes.ts): keeps Monte-Carlo uncertainty high away from the labels.
   * 0 turns them off.
   */
  priorProbes: number;
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
  exploration: {
    start: EXPLORATION_DEFAULTS.start,
    decay: EXPLORATION_DEFAULTS.decay,
    floor: EXPLORATION_DEFAULTS.floor,
  },
  charEmbeddingDim: 16,
  convFilters: 48,
  convWidth: 3,
  genreEmbeddingDim: 8,
  styleEmbeddingDim: 16,
  logVarRange: [-7, 0],
  maxTriplets: 64,
  priorProbes: 16,
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
    exploration: { ...base.exploration, ...overrides.exploration },
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
  for (const k of ['mcSamples', 'epochs', 'batchSize', 'poolSize', 'charEmbeddingDim', 'convFilters', 'convWidth', 'genreEmbeddingDim', 'styleEmbeddingDim', 'maxTriplets'] as const) {
    positiveInt(k, c[k]);
  }
  if (!(c.dropout >= 0 && c.dropout < 1)) problems.push(`dropout must be in [0, 1), got ${c.dropout}`);
  if (!(c.learningRate > 0)) problems.push(`learningRate must be > 0, got ${c.learningRate}`);
  if (!(c.logVarRange[0] < c.logVarRange[1])) problems.push(`logVarRange must be [low, high] with low < high`);
  if (!Number.isInteger(c.priorProbes) || c.priorProbes < 0) problems.push(`priorProbes must be a non-negative integer, got ${c.priorProbes}`);
  if (!Number.isInteger(c.replay) || c.replay < 0) problems.push(`replay must be a non-negative integer, got ${c.replay}`);
  if (problems.length > 0) throw new Error(`invalid KeepersConfig: ${problems.join('; ')}`);
  return c;
}
