// bandit.selectBatch: sample the unlabelled pool, score it with the active model (Monte-Carlo dropout),
// apply the policy, and store the batch with one training_instances row per pick, in one transaction.
import { TRPCError } from '@trpc/server';
import { selectBatch as seedPolicy } from '../shared/bandit/select';
import type { App } from './app';
import { getBanditState, logDecision } from './models';
import { sampleUnlabelled } from './records';
import { predictReleases } from './scoring';
import { NEIGHBOUR_CANDIDATES, reasonsFor, type Reason } from './reasons';
import { latestLabelled } from './labels';

export const POLICIES = ['seed'] as const;
export type Policy = (typeof POLICIES)[number];

export interface BatchItem {
  releaseId: number;
  strategy: 'exploit' | 'explore';
  score: number;
  mean: number;
  uncertainty: number;
  aleatoric: number;
  propensity: number;
  reasons: Reason[];
}

export interface BatchResult {
  batchId: number;
  batchNumber: number;
  exploreRate: number;
  policy: Policy;
  modelVersion: string;
  poolSize: number;
  items: BatchItem[];
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

export async function selectBatch(app: App, deviceId: number | null, opts: { poolSize: number; batchSize: number; policy?: Policy }): Promise<BatchResult> {
  const started = performance.now();
  let lapStart = started;
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - lapStart);
    lapStart = now;
    return ms;
  };
  const state = await getBanditState(app.db);
  const policy = opts.policy ?? (state.policy as Policy);
  const { version, model } = await app.activeModel();
  const pool = await sampleUnlabelled(app.db, opts.poolSize, app.random);
  if (pool.length === 0) {
    throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'No unlabelled records to choose from: import your Discogs collection export (`npx keepers import FILE`) or browse Discogs with the extension.' });
  }
  const sample = lap();
  // The embeddings come from the same encoder pass as the scores; the picks' reasons reuse them.
  const predictions = predictReleases(model, pool, { seed: app.nextMcSeed(), withEmbedding: true });
  const score = lap();
  const batchNumber = state.batchCount;
  const selection = seedPolicy(predictions, { batchNumber, batchSize: opts.batchSize });
  const byId = new Map(pool.map((r) => [r.id, r]));
  const predById = new Map(predictions.map((p) => [p.releaseId, p]));
  const policyMs = lap();
  const labelled = await latestLabelled(app.db, { limit: NEIGHBOUR_CANDIDATES });
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
    { embeddings: app.embeddings, version },
  );
  const reasonsMs = lap();
  const items: BatchItem[] = selection.items.map((it, i) => ({ ...it, aleatoric: aleatoric(it.releaseId), reasons: reasons[i]! }));
  const exploreCount = items.filter((i) => i.strategy === 'explore').length;
  const now = new Date().toISOString();

  const batchId = await app.db.transaction(async (q) => {
    const { lastID } = await q.run(
      `INSERT INTO batches (batch_number, exploration_rate, explore_count, exploit_count, policy, model_version, pool_size, device_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [batchNumber, selection.exploreRate, exploreCount, items.length - exploreCount, policy, version, pool.length, deviceId, now],
    );
    await q.run(
      `INSERT INTO training_instances (batch_id, release_id, position, selection_strategy, uncertainty_at_selection, mean_at_selection,
         aleatoric_at_selection, score, propensity, model_version, device_id, shown_at)
       SELECT ?, json_extract(value, '$.releaseId'), json_extract(value, '$.position'), json_extract(value, '$.strategy'),
              json_extract(value, '$.uncertainty'), json_extract(value, '$.mean'), json_extract(value, '$.aleatoric'),
              json_extract(value, '$.score'), json_extract(value, '$.propensity'), ?, ?, ?
       FROM json_each(?)`,
      [lastID, version, deviceId, now, JSON.stringify(items.map((it, position) => ({ ...it, reasons: undefined, position })))],
    );
    await logDecision(q, 'batch', { batchId: lastID, batchNumber, policy, modelVersion: version, exploreRate: selection.exploreRate, explore: exploreCount, exploit: items.length - exploreCount });
    return lastID;
  });
  const phases: SelectPhases = { sample, score, policy: policyMs, labelled: labelledMs, reasons: reasonsMs, store: lap() };

  const scores = items.map((i) => i.score);
  app.logger.info(
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
      poolUncertainty: quantiles(predictions.map((p) => p.uncertainty)),
      ms: Math.round(performance.now() - started),
      phases,
    },
    'selected batch',
  );
  return { batchId, batchNumber, exploreRate: selection.exploreRate, policy, modelVersion: version, poolSize: pool.length, items };
}
