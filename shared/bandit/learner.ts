// The product's learners by policy name, and the default one: `neural-ts`.
//
// `neural-ts` keeps the user's architecture (the contrastive encoder: char-CNN over names,
// attention-pooled genre/style embeddings, cyclical time, into a 64-d taste space) and puts a Bayesian
// head on it (shared/model/posterior.ts): exact Bayesian linear regression on the taste embedding plus
// the record's identity keys, with Thompson sampling over the batch. After each labelled batch the
// encoder takes a few Adam steps on the new labels and a replay of earlier ones (the triplet + BCE +
// regulariser loss), then the head is refitted on every label with the new embeddings.
//
// `seed` is DESIGN's specification exactly (MC-dropout head, mean − std / top-std schedule, 10 epochs
// at lr 1e-4 on the newest batch); `random` is the A/B baseline.
import { encodeReleases } from '../features';
import type { Release } from '../schemas';
import { resolveConfig, type KeepersConfig } from '../model/config';
import type { KeepersModel } from '../model/model';
import { posteriorQuery, posteriorScores, predict, type Prediction } from '../model/predict';
import { TastePosterior, fitCalibration, tunePosterior, type Calibration, type PosteriorRow } from '../model/posterior';
import { explorationRate, type SelectedItem } from './select';
import { onlineUpdate } from './online';
import type { LabelledRelease } from './triplets';

export const POLICIES = ['neural-ts', 'seed', 'random'] as const;
export type PolicyName = (typeof POLICIES)[number];
/** What the product runs unless the collector chooses otherwise (measured: docs/evaluation). */
export const DEFAULT_POLICY: PolicyName = 'neural-ts';

export function isPolicyName(name: string): name is PolicyName {
  return (POLICIES as readonly string[]).includes(name);
}

/**
 * Training hyperparameters per policy, as overrides of DEFAULT_CONFIG (which holds DESIGN §4's values,
 * the `seed` policy's). The default learner fine-tunes faster and replays earlier labels: at lr 1e-4 on
 * the newest 20 labels alone the encoder barely moves (docs/evaluation).
 */
export const POLICY_CONFIG: Record<PolicyName, Partial<KeepersConfig>> = {
  'neural-ts': { learningRate: 3e-3, replay: 100 },
  seed: {},
  random: {},
};

export function configForPolicy(policy: PolicyName, overrides: Partial<KeepersConfig> = {}): KeepersConfig {
  return resolveConfig({ ...POLICY_CONFIG[policy], ...overrides });
}

/** A labelled record plus where the label came from (an import is a keeper the collector did not pick here). */
export type SourcedLabel = LabelledRelease & { source?: 'user' | 'import' };

export interface LearnInput {
  /** The newest labelled batch (may be empty: a warm start from an import). */
  batch: SourcedLabel[];
  /** Every earlier label, oldest first. */
  history: SourcedLabel[];
  batchNumber: number;
  /**
   * A random sample of records without a label. Used only when imported keepers are among the labels
   * (positive–unlabelled learning): an import holds keepers only, and without a contrast the head would
   * learn "everything like a collection is a keeper". See posteriorRows.
   */
  unlabelled?: Release[];
}

export interface LearnResult {
  losses: number[];
  ms: number;
  /** Rows the Bayesian head was fitted on. */
  rows: number;
}

/**
 * Positive–unlabelled learning: an unlabelled record enters the head with target = the prior keep-
 * probability (the expected label of a record nobody has judged: most are not keepers, a few are) and
 * 4× a label's noise variance, so that one collector's import of keepers is contrasted with what an
 * ordinary record looks like, without claiming any particular unlabelled record is a non-keeper.
 */
export const UNLABELLED_WEIGHT = 4;
/** Share of the head's rows kept for the unlabelled contrast when imports are among the labels. */
export const UNLABELLED_SHARE = 0.25;

/** Every k-th item so that `count` remain, spread over the whole list (deterministic). */
function spread<T>(items: T[], count: number): T[] {
  if (items.length <= count) return items;
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

/**
 * The rows of the Bayesian head within posterior.maxRows (its n³ fit): the collector's own labels,
 * newest first; then imported keepers, spread over the import; then, when there are imports, an
 * unlabelled contrast holding UNLABELLED_SHARE of the rows.
 */
export function posteriorRows(model: KeepersModel, input: LearnInput): { rows: PosteriorRow[]; releases: Release[] } {
  const c = model.config.posterior;
  const all = [...input.history, ...input.batch];
  const user = all.filter((l) => l.source !== 'import').reverse();
  const importedAll = all.filter((l) => l.source === 'import');
  const cap = c.maxRows;
  const unlabelledRows = importedAll.length > 0 ? Math.min(input.unlabelled?.length ?? 0, Math.floor(cap * UNLABELLED_SHARE)) : 0;
  const userKept = user.slice(0, cap - unlabelledRows);
  const imported = spread(importedAll, Math.max(0, cap - unlabelledRows - userKept.length));
  const unlabelled = spread(input.unlabelled ?? [], Math.min(unlabelledRows, cap - userKept.length - imported.length));
  const labels = [...userKept, ...imported];
  const releases = [...labels.map((l) => l.release), ...unlabelled];
  if (releases.length === 0) return { rows: [], releases: [] };
  const targets = [...labels.map((l) => (l.keeper ? 1 : 0)), ...unlabelled.map(() => c.priorMean)];
  const weights = [...labels.map(() => 1), ...unlabelled.map(() => UNLABELLED_WEIGHT)];
  const { query } = posteriorQuery(model, encodeReleases(releases));
  const d = model.config.embeddingDim;
  const rows = releases.map((_, i) => ({ keys: query.keys[i]!, embedding: query.embeddings.slice(i * d, (i + 1) * d), y: targets[i]!, weight: weights[i]! }));
  return { rows, releases };
}

/** Refits the Bayesian head on the labels with the encoder's current embeddings. */
/**
 * Calibration with the newest batch as held-out data: scored by the model that has not learned it yet
 * (call before any training step), appended to the earlier pairs, Platt map refitted.
 */
export function heldOutCalibration(model: KeepersModel, batch: SourcedLabel[]): Calibration | undefined {
  const previous = model.posterior;
  const judged = batch.filter((l) => l.source !== 'import');
  if (!previous || judged.length === 0) return previous?.calibration;
  const { query } = posteriorQuery(model, encodeReleases(judged.map((l) => l.release)));
  const raw = previous.predict(query, { withStd: false }).mean;
  const before = previous.calibration;
  return fitCalibration([...(before?.scores ?? []), ...raw], [...(before?.labels ?? []), ...judged.map((l) => (l.keeper ? 1 : 0))]);
}

export function refitPosterior(model: KeepersModel, input: LearnInput, calibration: Calibration | undefined = model.posterior?.calibration): number {
  const { rows } = posteriorRows(model, input);
  const centre = model.config.posterior;
  // Empirical Bayes continues from the previous fit's variances (the hyperprior stays on the configured ones).
  let config = model.posterior?.config ?? centre;
  if (centre.tuneSteps > 0 && rows.length >= 2) config = tunePosterior(rows, config, centre, { steps: centre.tuneSteps, maxRows: centre.tuneRows }).config;
  model.posterior = rows.length > 0 ? TastePosterior.fit(rows, config, calibration) : null;
  return rows.length;
}

/** The default learner's update after a labelled batch (or an import): encoder steps, then the head. */
export async function learn(model: KeepersModel, input: LearnInput, opts: { seed?: number; config?: Partial<KeepersConfig> } = {}): Promise<LearnResult> {
  const started = performance.now();
  const calibration = heldOutCalibration(model, input.batch);
  let losses: number[] = [];
  if (input.batch.length > 0) {
    const update = await onlineUpdate(model, { batch: input.batch, history: input.history, batchNumber: input.batchNumber }, { seed: opts.seed, config: opts.config });
    losses = update.losses;
  }
  const rows = refitPosterior(model, input, calibration);
  return { losses, ms: performance.now() - started, rows };
}

export interface ThompsonSelection {
  exploreRate: number;
  items: SelectedItem[];
  predictions: Prediction[];
}

/**
 * Thompson sampling over the batch: slot s takes the best not-yet-picked record under posterior draw s
 * (draws are scaled toward the mean by posterior.tsScale). A pick is `exploit` when it is also among the
 * top records by posterior mean, else `explore`. Propensity: the share of the draws under which the
 * record would have been the slot's pick, estimated from those draws (for off-policy evaluation).
 * Without a fitted head (no labels yet) every pick explores, at random.
 */
export function selectThompson(
  model: KeepersModel,
  releases: Release[],
  opts: { batchSize: number; seed: number; /** 'picks': the posterior std of the picks only (n² per record); the rest get NaN. */ uncertaintyFor?: 'all' | 'picks' },
): ThompsonSelection {
  const enc = encodeReleases(releases);
  const n = releases.length;
  const size = Math.min(opts.batchSize, n);
  const posterior = model.posterior;
  const chosen = new Set<number>();
  const items: SelectedItem[] = [];
  const draws: Float64Array[] = [];
  let predictions: Prediction[];
  let pickStd: ((i: number) => number) | null = null;
  if (posterior) {
    const scored = posteriorScores(model, posterior, enc, { withEmbedding: true, withStd: opts.uncertaintyFor !== 'picks' });
    if (opts.uncertaintyFor === 'picks') for (const p of scored.predictions) p.uncertainty = NaN;
    pickStd = (i) => {
      const d = model.config.embeddingDim;
      return posterior.predict({ keys: [scored.query.keys[i]!], embeddings: scored.query.embeddings.subarray(i * d, (i + 1) * d) }).std[0]!;
    };
    predictions = scored.predictions;
    draws.push(...posterior.thompson(scored.query, size, opts.seed, scored));
  } else {
    predictions = predict(model, enc, { withEmbedding: true });
    // No labels: random draws, fresh per slot.
    let s = opts.seed >>> 0;
    const rand = () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 4294967296);
    for (let t = 0; t < size; t++) draws.push(Float64Array.from({ length: n }, rand));
  }
  const byMean = [...predictions.keys()].sort((a, b) => predictions[b]!.mean - predictions[a]!.mean || a - b);
  const greedyTop = new Set(byMean.slice(0, size));
  for (let slot = 0; slot < size; slot++) {
    const draw = draws[slot]!;
    let best = -1;
    for (let i = 0; i < n; i++) if (!chosen.has(i) && (best < 0 || draw[i]! > draw[best]!)) best = i;
    chosen.add(best);
    let wins = 0;
    for (const other of draws) {
      let top = -1;
      for (let i = 0; i < n; i++) if ((!chosen.has(i) || i === best) && (top < 0 || other[i]! > other[top]!)) top = i;
      if (top === best) wins++;
    }
    const p = predictions[best]!;
    if (Number.isNaN(p.uncertainty) && pickStd) p.uncertainty = pickStd(best);
    items.push({
      releaseId: p.releaseId,
      strategy: posterior && greedyTop.has(best) ? 'exploit' : 'explore',
      score: draw[best]!,
      mean: p.mean,
      uncertainty: p.uncertainty,
      propensity: wins / draws.length,
    });
  }
  const explore = items.filter((i) => i.strategy === 'explore').length;
  return { exploreRate: items.length > 0 ? explore / items.length : explorationRate(0), items, predictions };
}
