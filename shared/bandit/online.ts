// The online update after each labelled batch: `epochs` Adam steps (default 10, lr 1e-4) on the
// combined loss over the batch's labels plus triplets mined against history.
// Replay of earlier labels is off by default (the `seed` policy trains on the newest batch only);
// config.replay = k adds k labelled history records, sampled with the seed, to every step: their
// labels enter the BCE and the regulariser like the batch's own.
// Adam's state is the model's (kept across updates, and in artifacts); the training randomness
// (dropout masks, probes, missing-field masks) is reseeded from the update's seed, so an update of
// reloaded weights does not replay the masks of the model's creation seed.
import { encodeReleases, type EncodedReleases } from '../features';
import { resolveConfig, type KeepersConfig } from '../model/config';
import type { KeepersModel } from '../model/model';
import { deriveSeed, mulberry32 } from '../random';
import { trainStep, type TrainBatch, type Triplet } from '../model/train';
import { generateTriplets, type LabelledRelease } from './triplets';

export interface OnlineUpdateInput {
  /** The newest labelled batch. */
  batch: LabelledRelease[];
  /** Earlier labels (any order); source of positives, negatives and replay. */
  history: LabelledRelease[];
  /** Batches labelled before this one (the batch counter). */
  batchNumber: number;
}

export interface OnlineUpdateOptions {
  seed?: number;
  /** Overrides of the training hyperparameters (epochs, learningRate, lossWeights, tripletMargin, maxTriplets, replay, classWeightCap, confidencePenalty, balanceMissing). */
  config?: Partial<KeepersConfig>;
  /** History records considered for mining per class (a seeded sample when history is larger). Default 256. */
  miningPool?: number;
}

export interface OnlineUpdateResult {
  /** input.batchNumber + 1 */
  batchNumber: number;
  /** Total loss of each epoch (before its step). */
  losses: number[];
  ms: number;
  triplets: number;
  replayed: number;
}

function sample<T>(items: readonly T[], k: number, rng: () => number): T[] {
  if (items.length <= k) return [...items];
  const pool = [...items];
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k);
}

/** What one online update trains on: the step's rows, their labels and triplets, and the prior. */
export interface PreparedUpdate {
  config: KeepersConfig;
  seed: number;
  batch: TrainBatch;
  /** Rows of batch.examples that are replayed history labels (the last `replayed` rows). */
  replayed: number;
  triplets: number;
  /** The collector's Laplace-smoothed keeper rate over every label so far (the prior). */
  probeTarget: number;
}

/**
 * The rows of an online update (no training): the batch's labels, the history rows the mined triplets
 * use (unlabelled: triplets only), then `replay` labelled history records.
 */
export function prepareOnlineUpdate(model: KeepersModel, input: OnlineUpdateInput, opts: OnlineUpdateOptions = {}): PreparedUpdate {
  const { batch, history, batchNumber } = input;
  if (!Number.isInteger(batchNumber) || batchNumber < 0) {
    throw new RangeError(`onlineUpdate: batchNumber must be a non-negative integer, got ${String(batchNumber)}`);
  }
  if (!Array.isArray(batch) || !Array.isArray(history)) throw new TypeError('onlineUpdate: batch and history must be arrays');
  const c = resolveConfig(opts.config ?? {}, model.config);
  const seed = opts.seed ?? batchNumber;
  const rng = mulberry32(seed ^ 0x51ed);
  const miningPool = opts.miningPool ?? 256;

  // A bounded, seeded sample of history per class keeps the cost flat as labels accumulate.
  const historyKeepers = sample(history.filter((l) => l.keeper), miningPool, rng);
  const historyOthers = sample(history.filter((l) => !l.keeper), miningPool, rng);
  const mined = [...historyKeepers, ...historyOthers];
  const rows = [...batch, ...mined];

  let triplets: Triplet[] = [];
  if (batch.some((l) => l.keeper) && historyKeepers.length > 0 && historyOthers.length > 0) {
    const embeddings = model.embed(encodeReleases(rows.map((l) => l.release)));
    const data = embeddings.dataSync() as Float32Array;
    embeddings.dispose();
    triplets = generateTriplets(batch, mined, { data, dim: model.config.embeddingDim }, { seed, maxTriplets: c.maxTriplets, margin: c.tripletMargin });
  }

  // Training rows: the batch, the history rows the triplets use, and replayed labels.
  const used = new Set<number>();
  for (const t of triplets) for (const r of t) if (r >= batch.length) used.add(r);
  const replayRows = c.replay > 0 ? sample(history, c.replay, rng) : [];
  const order = [...Array(batch.length).keys(), ...[...used].sort((a, b) => a - b)];
  const remap = new Map(order.map((r, i) => [r, i]));
  const examples = [...order.map((r) => rows[r]!), ...replayRows];
  const labels = new Float32Array(examples.length).fill(NaN);
  batch.forEach((l, i) => (labels[i] = l.keeper ? 1 : 0));
  replayRows.forEach((l, i) => (labels[order.length + i] = l.keeper ? 1 : 0));
  const trainTriplets = triplets.map((t) => t.map((r) => remap.get(r)!) as Triplet);
  const enc: EncodedReleases = encodeReleases(examples.map((l) => l.release));

  // The prior for records no label speaks for: the Laplace-smoothed keeper rate over every label so far.
  const allKeepers = batch.filter((l) => l.keeper).length + history.filter((l) => l.keeper).length;
  const probeTarget = (allKeepers + 1) / (batch.length + history.length + 2);
  return { config: c, seed, batch: { examples: enc, labels, triplets: trainTriplets }, replayed: replayRows.length, triplets: triplets.length, probeTarget };
}

export async function onlineUpdate(
  model: KeepersModel,
  input: OnlineUpdateInput,
  opts: OnlineUpdateOptions = {},
): Promise<OnlineUpdateResult> {
  const started = performance.now();
  const prepared = prepareOnlineUpdate(model, input, opts);
  const { config: c, batch } = prepared;
  model.reseedTraining(deriveSeed(prepared.seed, 0x7a11));
  const losses: number[] = [];
  if (batch.labels.some((y) => !Number.isNaN(y)) || batch.triplets.length > 0) {
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      const parts = trainStep(model, batch, {
        learningRate: c.learningRate,
        lossWeights: c.lossWeights,
        tripletMargin: c.tripletMargin,
        classWeightCap: c.classWeightCap,
        confidencePenalty: c.confidencePenalty,
        balanceMissing: c.balanceMissing,
        probeTarget: prepared.probeTarget,
      });
      losses.push(parts.loss);
    }
  }
  return { batchNumber: input.batchNumber + 1, losses, ms: performance.now() - started, triplets: prepared.triplets, replayed: prepared.replayed };
}
