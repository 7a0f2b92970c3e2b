// Training jobs, runnable in the worker thread (server) or in-process (CLI `keepers train`, tests).
// Both take and return plain data (artifacts, releases) so they cross the thread boundary as is.
import type { LabelledRelease, Release } from '../../../shared/schemas';
import type { ModelArtifacts, KeepersModel } from '../../../shared/model';
import { initTf, loadArtifacts, saveArtifacts, predict, KeepersModel as Model, trainStep } from '../../../shared/model';
import { encodeReleases } from '../../../shared/features';
import { onlineUpdate, learn, refitPosterior, type PolicyName } from '../../../shared/bandit';
import { evaluate, type Evaluation } from './evaluate';
import { mulberry32, shuffleInPlace } from '../../../shared/random';
import { embedReleases } from '../../bandit';
import { headFor, learnerFor, trainingConfig } from '../../bandit';

let tfReady: Promise<string> | null = null;
/** Initialises tfjs once per thread (wasm, falling back to cpu). */
export function ensureTf(): Promise<string> {
  if (!tfReady) tfReady = initTf(['wasm', 'cpu']);
  return tfReady;
}

export interface OnlineJob {
  kind: 'online';
  artifacts: ModelArtifacts;
  /** The policy the batch ran with: it decides how the update learns (backend/bandit/policy.ts learnerFor). */
  policy: PolicyName;
  /** The labelled batch; empty for a warm start (the default learner refitted on the imported labels). */
  batch: LabelledRelease[];
  /** Every other label, oldest first. */
  history: LabelledRelease[];
  /** Random records without a label: the contrast of imported keepers (positive–unlabelled learning; default learner only). */
  unlabelled?: Release[];
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
  /** The policy in use: the default learner's candidate gets its Bayesian head fitted too. */
  policy?: PolicyName;
  labelled: LabelledRelease[];
  /** Random records without a label (positive–unlabelled contrast of imported keepers; default learner only). */
  unlabelled?: Release[];
  newVersion: string;
  seed: number;
  epochs?: number;
  holdoutFraction?: number;
  /** Adam learning rate (default FULL_TRAINING_LR). */
  learningRate?: number;
}

/**
 * Full training starts from fresh weights, so it uses a 10× larger step than the online updates'
 * fine-tuning (1e-4, the specified value in shared/model/config.ts DEFAULT_CONFIG): at 1e-4, 10 epochs over a few hundred labels barely leave the
 * initialisation.
 */
const FULL_TRAINING_LR = 1e-3;

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

function scoreLabelled(model: KeepersModel, items: LabelledRelease[], seed: number, head: 'auto' | 'mc-dropout' = 'auto'): { probs: number[]; labels: number[] } {
  if (items.length === 0) return { probs: [], labels: [] };
  const preds = predict(model, encodeReleases(items.map((i) => i.release)), { seed, head });
  return { probs: preds.map((p) => p.mean), labels: items.map((i) => (i.keeper ? 1 : 0)) };
}

/**
 * One online update, by the batch's policy: `seed` runs shared/bandit's onlineUpdate with the specified
 * hyperparameters (10 epochs, lr 1e-4, the newest batch: DEFAULT_CONFIG in shared/model/config.ts) and leaves no Bayesian head (a head fitted on
 * the previous encoder would no longer match it); the default learner runs learn(): encoder steps on
 * the batch plus replay, then the head refitted on every label (imports against the unlabelled sample).
 */
export async function runOnline(job: OnlineJob): Promise<OnlineResult> {
  await ensureTf();
  const started = Date.now();
  const model = await loadArtifacts(job.artifacts);
  try {
    const head = headFor(job.policy);
    const learner = learnerFor(job.policy);
    const before = evaluate(scoreLabelled(model, job.batch, job.seed, head));
    let losses: number[];
    let trainMs: number;
    let posteriorRows = 0;
    if (learner === 'online-update') {
      const update = await onlineUpdate(model, { batch: job.batch, history: job.history, batchNumber: job.batchNumber }, { seed: job.seed, config: trainingConfig(job.policy) });
      model.posterior = null;
      ({ losses, ms: trainMs } = update);
    } else {
      const update = await learn(
        model,
        { batch: job.batch.map(sourced), history: job.history.map(sourced), batchNumber: job.batchNumber, unlabelled: job.unlabelled },
        { seed: job.seed, config: trainingConfig(job.policy) },
      );
      ({ losses, ms: trainMs, rows: posteriorRows } = update);
    }
    const after = evaluate(scoreLabelled(model, job.batch, job.seed, head));
    const metrics: Record<string, number> = {
      batchNumber: job.batchNumber,
      batchLabels: job.batch.length,
      batchKeepers: job.batch.filter((b) => b.keeper).length,
      historyLabels: job.history.length,
      importedLabels: [...job.batch, ...job.history].filter((l) => l.source === 'import').length,
      unlabelledContrast: learner === 'learn' ? (job.unlabelled?.length ?? 0) : NaN,
      posteriorRows: learner === 'learn' ? posteriorRows : NaN,
      firstLoss: losses[0] ?? NaN,
      finalLoss: losses.at(-1) ?? NaN,
      batchLogLossBefore: before.logLoss,
      batchLogLossAfter: after.logLoss,
      trainMs,
    };
    const artifacts = await saveArtifacts(model, { modelVersion: job.newVersion, parentVersion: job.artifacts.modelVersion, metrics: finite(metrics) });
    const embeddings = job.embed ? embedReleases(model, job.embed) : undefined;
    return { kind: 'online', artifacts, losses, ms: Date.now() - started, embeddings };
  } finally {
    model.dispose();
  }
}

function sourced(l: LabelledRelease): LabelledRelease & { source: 'user' | 'import' } {
  return { release: l.release, keeper: l.keeper, source: l.source ?? 'user' };
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

/**
 * Full training: a fresh encoder (seeded) on the training split in curriculum order, compared with the
 * active version on the held-out labels. Like is compared with like: under the default learner both
 * encoders get a Bayesian head fitted on the same training split (the active version's own head has
 * seen the held-out labels) and are scored by it; under `seed` both are scored by the Monte-Carlo
 * dropout head. The stored candidate's head is then refitted on every label.
 */
export async function runFull(job: FullJob): Promise<FullResult> {
  await ensureTf();
  const started = Date.now();
  const rand = mulberry32(job.seed);
  const policy = job.policy ?? 'seed';
  const head = headFor(policy);
  const withHead = learnerFor(policy) === 'learn';
  const { train, holdout } = splitHoldout(job.labelled, job.holdoutFraction ?? 0.2, job.seed);
  const incumbent = job.current ? await loadArtifacts(job.current) : null;
  const candidate = Model.create(incumbent?.config ?? job.current?.config, job.seed);
  try {
    const ordered = curriculumOrder(train, incumbent ? scoreLabelled(incumbent, train, job.seed, head).probs : null);
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
    const fitOn = (model: KeepersModel, labelled: LabelledRelease[]) =>
      refitPosterior(model, { batch: [], history: labelled.map(sourced), batchNumber: 0, unlabelled: job.unlabelled });
    if (withHead) {
      fitOn(candidate, train);
      if (incumbent) fitOn(incumbent, train);
    } else {
      candidate.posterior = null;
    }
    const candidateEval = evaluate(scoreLabelled(candidate, holdout, job.seed, head));
    const incumbentEval = incumbent ? evaluate(scoreLabelled(incumbent, holdout, job.seed, head)) : null;
    // "Not worse" = held-out log loss no higher than the incumbent's (a proper scoring rule: it rewards
    // ranking and calibration together). Without held-out labels there is nothing to compare: promote.
    const promote = !incumbentEval || holdout.length === 0 || candidateEval.logLoss <= incumbentEval.logLoss + 1e-9;
    const posteriorRows = withHead ? fitOn(candidate, job.labelled) : NaN;
    const metrics = finite({
      trainLabels: train.length,
      holdoutLabels: holdout.length,
      holdoutLogLoss: candidateEval.logLoss,
      holdoutAuc: candidateEval.auc,
      holdoutEce: candidateEval.ece,
      incumbentLogLoss: incumbentEval?.logLoss ?? NaN,
      incumbentAuc: incumbentEval?.auc ?? NaN,
      epochs,
      posteriorRows,
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
