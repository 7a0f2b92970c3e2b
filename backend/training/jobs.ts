// Training jobs, runnable in the worker thread (server) or in-process (CLI `keepers train`, tests).
// Both take and return plain data (artifacts, releases) so they cross the thread boundary as is.
import type { Release } from '../../shared/schemas';
import type { ModelArtifacts, KeepersModel } from '../../shared/model';
import { initTf, loadArtifacts, saveArtifacts, predict, KeepersModel as Model, trainStep } from '../../shared/model';
import { encodeReleases } from '../../shared/features';
import { onlineUpdate } from '../../shared/bandit';
import { evaluate, type Evaluation } from './evaluate';
import { mulberry32, shuffleInPlace } from '../../shared/random';
import { embedReleases } from '../scoring';

export interface LabelledRelease {
  release: Release;
  keeper: boolean;
}

let tfReady: Promise<string> | null = null;
/** Initialises tfjs once per thread (wasm, falling back to cpu). */
export function ensureTf(): Promise<string> {
  if (!tfReady) tfReady = initTf(['wasm', 'cpu']);
  return tfReady;
}

export interface OnlineJob {
  kind: 'online';
  artifacts: ModelArtifacts;
  batch: LabelledRelease[];
  history: LabelledRelease[];
  batchNumber: number;
  newVersion: string;
  seed: number;
  /** Records to embed with the new version (the labelled neighbour candidates), off the server's thread. */
  embed?: Release[];
}

export interface FullJob {
  kind: 'full';
  /** The active version, compared against on the held-out labels; null trains without comparison. */
  current: ModelArtifacts | null;
  labelled: LabelledRelease[];
  newVersion: string;
  seed: number;
  epochs?: number;
  holdoutFraction?: number;
  /** Adam learning rate (default FULL_TRAINING_LR). */
  learningRate?: number;
}

/**
 * Full training starts from fresh weights, so it uses a 10× larger step than the online updates'
 * fine-tuning (1e-4, DESIGN §4): at 1e-4, 10 epochs over a few hundred labels barely leave the
 * initialisation.
 */
export const FULL_TRAINING_LR = 1e-3;

export type TrainingJob = OnlineJob | FullJob;

export interface OnlineResult {
  kind: 'online';
  artifacts: ModelArtifacts;
  losses: number[];
  ms: number;
  /** Row i: the new version's L2-normalised embedding of job.embed[i]. */
  embeddings?: Float32Array[];
}

export interface FullResult {
  kind: 'full';
  artifacts: ModelArtifacts;
  promote: boolean;
  candidate: Evaluation;
  incumbent: Evaluation | null;
  trainSize: number;
  holdoutSize: number;
  ms: number;
}

export type TrainingResult = OnlineResult | FullResult;

function scoreLabelled(model: KeepersModel, items: LabelledRelease[], seed: number): { probs: number[]; labels: number[] } {
  if (items.length === 0) return { probs: [], labels: [] };
  const preds = predict(model, encodeReleases(items.map((i) => i.release)), { seed });
  return { probs: preds.map((p) => p.mean), labels: items.map((i) => (i.keeper ? 1 : 0)) };
}

export async function runOnline(job: OnlineJob): Promise<OnlineResult> {
  await ensureTf();
  const started = Date.now();
  const model = await loadArtifacts(job.artifacts);
  try {
    const before = evaluate(scoreLabelled(model, job.batch, job.seed));
    const update = await onlineUpdate(model, { batch: job.batch, history: job.history, batchNumber: job.batchNumber }, { seed: job.seed });
    const after = evaluate(scoreLabelled(model, job.batch, job.seed));
    const metrics: Record<string, number> = {
      batchNumber: job.batchNumber,
      batchLabels: job.batch.length,
      batchKeepers: job.batch.filter((b) => b.keeper).length,
      historyLabels: job.history.length,
      firstLoss: update.losses[0] ?? NaN,
      finalLoss: update.losses.at(-1) ?? NaN,
      batchLogLossBefore: before.logLoss,
      batchLogLossAfter: after.logLoss,
      trainMs: update.ms,
    };
    const artifacts = await saveArtifacts(model, { modelVersion: job.newVersion, parentVersion: job.artifacts.modelVersion, metrics: finite(metrics) });
    const embeddings = job.embed ? embedReleases(model, job.embed) : undefined;
    return { kind: 'online', artifacts, losses: update.losses, ms: Date.now() - started, embeddings };
  } finally {
    model.dispose();
  }
}

function finite(metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));
}

/**
 * Stratified held-out split: the same share of keepers and non-keepers is held out (seeded), so the
 * comparison is not decided by which class happened to land in the held-out set.
 */
export function splitHoldout(items: LabelledRelease[], fraction: number, seed: number): { train: LabelledRelease[]; holdout: LabelledRelease[] } {
  const rand = mulberry32(seed);
  const train: LabelledRelease[] = [];
  const holdout: LabelledRelease[] = [];
  for (const cls of [true, false]) {
    const group = shuffleInPlace(items.filter((i) => i.keeper === cls), rand);
    // Classes with fewer than 5 labels are all used for training: one held-out item says nothing.
    const n = group.length >= 5 ? Math.max(1, Math.round(group.length * fraction)) : 0;
    holdout.push(...group.slice(0, n));
    train.push(...group.slice(n));
  }
  return { train, holdout };
}

/**
 * Curriculum order: easy examples first. Difficulty = |label − p| under the incumbent model when there
 * is one (what it already predicts well comes first); without one, records with genre/style evidence
 * come before bare ones. Each epoch trains on a growing prefix of this order (competence schedule):
 * half the epochs ramp from 30% to 100%, the rest use everything.
 */
export function curriculumOrder(items: LabelledRelease[], incumbentProbs: number[] | null): LabelledRelease[] {
  const difficulty = items.map((item, i) => {
    const p = incumbentProbs?.[i];
    if (p !== undefined) return Math.abs((item.keeper ? 1 : 0) - p);
    return item.release.genres.length + item.release.styles.length > 0 ? 0 : 1;
  });
  return items.map((item, i) => ({ item, d: difficulty[i]!, i })).sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.item);
}

/** Mini-batch triplets: anchor and positive are keepers, the negative a non-keeper nearest in the batch order. */
function batchTriplets(labels: Float32Array, rand: () => number): Array<[number, number, number]> {
  const pos: number[] = [];
  const neg: number[] = [];
  labels.forEach((l, i) => (l === 1 ? pos : neg).push(i));
  if (pos.length < 2 || neg.length === 0) return [];
  return pos.map((a) => {
    let p = pos[Math.floor(rand() * pos.length)]!;
    if (p === a) p = pos[(pos.indexOf(a) + 1) % pos.length]!;
    return [a, p, neg[Math.floor(rand() * neg.length)]!] as [number, number, number];
  });
}

export async function runFull(job: FullJob): Promise<FullResult> {
  await ensureTf();
  const started = Date.now();
  const rand = mulberry32(job.seed);
  const { train, holdout } = splitHoldout(job.labelled, job.holdoutFraction ?? 0.2, job.seed);
  const incumbent = job.current ? await loadArtifacts(job.current) : null;
  const candidate = Model.create(incumbent?.config ?? job.current?.config, job.seed);
  try {
    const ordered = curriculumOrder(train, incumbent ? scoreLabelled(incumbent, train, job.seed).probs : null);
    const epochs = job.epochs ?? 10;
    const miniBatch = 64;
    for (let epoch = 0; epoch < epochs; epoch++) {
      const ramp = Math.max(1, Math.ceil(epochs / 2));
      const share = Math.min(1, 0.3 + (0.7 * epoch) / ramp);
      const prefix = shuffleInPlace(ordered.slice(0, Math.max(1, Math.ceil(ordered.length * share))), rand);
      for (let start = 0; start < prefix.length; start += miniBatch) {
        const chunk = prefix.slice(start, start + miniBatch);
        const labels = Float32Array.from(chunk, (c) => (c.keeper ? 1 : 0));
        trainStep(
          candidate,
          { examples: encodeReleases(chunk.map((c) => c.release)), labels, triplets: batchTriplets(labels, rand) },
          { learningRate: job.learningRate ?? FULL_TRAINING_LR },
        );
      }
    }
    const candidateEval = evaluate(scoreLabelled(candidate, holdout, job.seed));
    const incumbentEval = incumbent ? evaluate(scoreLabelled(incumbent, holdout, job.seed)) : null;
    // "Not worse" = held-out log loss no higher than the incumbent's (a proper scoring rule: it rewards
    // ranking and calibration together). Without held-out labels there is nothing to compare: promote.
    const promote = !incumbentEval || holdout.length === 0 || candidateEval.logLoss <= incumbentEval.logLoss + 1e-9;
    const metrics = finite({
      trainLabels: train.length,
      holdoutLabels: holdout.length,
      holdoutLogLoss: candidateEval.logLoss,
      holdoutAuc: candidateEval.auc,
      holdoutEce: candidateEval.ece,
      incumbentLogLoss: incumbentEval?.logLoss ?? NaN,
      incumbentAuc: incumbentEval?.auc ?? NaN,
      epochs,
    });
    const artifacts = await saveArtifacts(candidate, { modelVersion: job.newVersion, parentVersion: job.current?.modelVersion ?? null, metrics });
    return { kind: 'full', artifacts, promote, candidate: candidateEval, incumbent: incumbentEval, trainSize: train.length, holdoutSize: holdout.length, ms: Date.now() - started };
  } finally {
    candidate.dispose();
    incumbent?.dispose();
  }
}

export function runJob(job: TrainingJob): Promise<TrainingResult> {
  return job.kind === 'online' ? runOnline(job) : runFull(job);
}
