// bandit.selectBatch: sample the unlabelled pool, score it with the active model, apply the policy
// (the one asked for, else the collector's setting, else the default) and store the batch with its
// policy and one training_instances row per pick, in one transaction.
import { selectBatch as seedSelect } from '../../shared/bandit/select';
import { selectThompson } from '../../shared/bandit/learner';
import { mulberry32 } from '../../shared/random';
import type { KeepersModel, Prediction } from '../../shared/model';
import type { Reason, Release, SelectionItem } from '../../shared/schemas';
import { DomainError } from '../errors';
import { getBanditState, logDecision } from '../models';
import { sampleUnlabelled } from '../records';
import type { BanditContext } from './context';
import { reasonsFor } from './reasons';
import { neighbourCandidates } from './neighbours';
import { insertBatch } from './repository';
import { predictReleases } from './scoring';
import { headFor, type PolicyName } from './policy';

/** A pick as bandit.selectBatch returns it: the selected item, the dropout head's aleatoric spread, and why it was picked. */
export type BatchItem = SelectionItem & { aleatoric: number; reasons: Reason[] };

export interface BatchResult {
  batchId: number;
  batchNumber: number;
  exploreRate: number;
  policy: PolicyName;
  modelVersion: string;
  poolSize: number;
  items: BatchItem[];
  /** The picks' records, in the order of `items`: the popup shows them without asking again. */
  records: Release[];
}

function quantiles(xs: number[]): { min: number; p25: number; median: number; p75: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))] ?? NaN;
  return { min: at(0), p25: at(0.25), median: at(0.5), p75: at(0.75), max: at(1) };
}

/** Milliseconds per phase of one selectBatch, for its log line and the benchmark. */
export interface SelectPhases {
  sample: number;
  score: number;
  policy: number;
  labelled: number;
  reasons: number;
  store: number;
}

interface PolicyPicks {
  exploreRate: number;
  items: SelectionItem[];
  /** Scores of the whole pool (with embeddings: the picks' reasons reuse them). */
  predictions: Prediction[];
  /** ms scoring the pool (neural-ts scores and draws in one pass: all of it counts as scoring). */
  scoreMs: number;
}

/** Fisher–Yates prefix: `size` distinct indices out of `n`, each subset equally likely. */
function randomPicks(n: number, size: number, rand: () => number): number[] {
  const idx = [...Array(n).keys()];
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rand() * (n - i));
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  return idx.slice(0, size);
}

/** Runs one policy on the pool: scores, then picks. `seed` seeds the Monte-Carlo passes and any draws. */
export function applyPolicy(policy: PolicyName, model: KeepersModel, pool: Release[], opts: { batchNumber: number; batchSize: number; seed: number }): PolicyPicks {
  const t = performance.now();
  const lap = () => Math.round(performance.now() - t);
  if (policy === 'neural-ts') {
    // Thompson sampling over the Bayesian head (random picks while it has no labels to fit). The posterior
    // std costs n² per record: computed for the picks only (the rest of the pool reads NaN).
    const sel = selectThompson(model, pool, { batchSize: opts.batchSize, seed: opts.seed, uncertaintyFor: 'picks' });
    return { exploreRate: sel.exploreRate, items: sel.items, predictions: sel.predictions, scoreMs: lap() };
  }
  if (policy === 'seed') {
    // As specified: Monte-Carlo dropout scores and the fixed exploration schedule (EXPLORATION_DEFAULTS in
    // shared/bandit/select.ts: 12 explore / 8 exploit at batch 0, 4 / 16 from batch 22).
    const predictions = predictReleases(model, pool, { seed: opts.seed, withEmbedding: true, head: 'mc-dropout' });
    const scoreMs = lap();
    const sel = seedSelect(predictions, { batchNumber: opts.batchNumber, batchSize: opts.batchSize });
    return { exploreRate: sel.exploreRate, items: sel.items, predictions, scoreMs };
  }
  // random: uniform picks; the model's scores are stored with them (and shown), but never used to choose.
  const predictions = predictReleases(model, pool, { seed: opts.seed, withEmbedding: true, head: headFor(policy) });
  const scoreMs = lap();
  const size = Math.min(opts.batchSize, predictions.length);
  const rand = mulberry32(opts.seed ^ 0x7a4d);
  const items = randomPicks(predictions.length, size, rand).map((i): SelectionItem => {
    const p = predictions[i]!;
    return { releaseId: p.releaseId, strategy: 'explore', score: rand(), mean: p.mean, uncertainty: p.uncertainty, propensity: size / predictions.length };
  });
  return { exploreRate: 1, items, predictions, scoreMs };
}

export async function selectBatch(ctx: BanditContext, deviceId: number | null, opts: { poolSize: number; batchSize: number; policy?: PolicyName }): Promise<BatchResult> {
  const started = performance.now();
  let lapStart = started;
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - lapStart);
    lapStart = now;
    return ms;
  };
  const state = await getBanditState(ctx.db);
  // An explicit policy wins for this batch only; the setting stays as it is.
  const policy = opts.policy ?? state.policy;
  const { version, model } = await ctx.models.get();
  const pool = await sampleUnlabelled(ctx.db, opts.poolSize, ctx.random);
  if (pool.length === 0) {
    throw new DomainError('precondition', 'No unlabelled records to choose from: import your Discogs collection export (`npx keepers import FILE`) or browse Discogs with the extension.');
  }
  const sample = lap();
  const batchNumber = state.batchCount;
  // Logged with the batch: the same pool, model version and seed replay the same picks.
  const seed = ctx.seeds.next();
  const selection = applyPolicy(policy, model, pool, { batchNumber, batchSize: opts.batchSize, seed });
  const { predictions } = selection;
  const byId = new Map(pool.map((r) => [r.id, r]));
  const predById = new Map(predictions.map((p) => [p.releaseId, p]));
  const policyMs = lap() - selection.scoreMs;
  const score = selection.scoreMs;
  const labelled = await neighbourCandidates(ctx.db);
  const labelledMs = lap();
  const aleatoric = (id: number) => predById.get(id)?.aleatoric ?? 0;
  // Reasons only for the picks, not the pool.
  const reasons = reasonsFor(
    model,
    selection.items.map((it) => ({
      release: byId.get(it.releaseId)!,
      strategy: it.strategy,
      mean: it.mean,
      uncertainty: it.uncertainty,
      aleatoric: aleatoric(it.releaseId),
      embedding: predById.get(it.releaseId)?.embedding,
    })),
    labelled,
    { embeddings: ctx.embeddings, version },
    headFor(policy),
  );
  const reasonsMs = lap();
  const items: BatchItem[] = selection.items.map((it, i) => ({ ...it, aleatoric: aleatoric(it.releaseId), reasons: reasons[i]! }));
  const exploreCount = items.filter((i) => i.strategy === 'explore').length;
  const now = new Date().toISOString();

  const batchId = await ctx.db.transaction(async (q) => {
    const id = await insertBatch(
      q,
      { batchNumber, exploreRate: selection.exploreRate, exploreCount, exploitCount: items.length - exploreCount, policy, modelVersion: version, poolSize: pool.length, deviceId, createdAt: now },
      items,
    );
    await logDecision(q, 'batch', { batchId: id, batchNumber, policy, modelVersion: version, seed, exploreRate: selection.exploreRate, explore: exploreCount, exploit: items.length - exploreCount });
    return id;
  });
  const phases: SelectPhases = { sample, score, policy: policyMs, labelled: labelledMs, reasons: reasonsMs, store: lap() };

  const scores = items.map((i) => i.score);
  ctx.logger.info(
    {
      batchId,
      batchNumber,
      policy,
      modelVersion: version,
      exploreRate: selection.exploreRate,
      split: { explore: exploreCount, exploit: items.length - exploreCount },
      poolSize: pool.length,
      score: quantiles(scores),
      poolMean: quantiles(predictions.map((p) => p.mean)),
      poolUncertainty: quantiles(predictions.map((p) => p.uncertainty).filter((u) => Number.isFinite(u))),
      ms: Math.round(performance.now() - started),
      phases,
    },
    'selected batch',
  );
  const records = items.map((it) => byId.get(it.releaseId)!);
  return { batchId, batchNumber, exploreRate: selection.exploreRate, policy, modelVersion: version, poolSize: pool.length, items, records };
}
