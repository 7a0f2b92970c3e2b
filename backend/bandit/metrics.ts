// metrics.summary (DESIGN §5): how the bandit is doing, from what was stored at selection time.
import { ece, silhouette, auc } from '../../shared/metrics';
import type { App } from '../app';
import { getBanditState } from '../models';
import { latestLabelled } from '../labels';

/** Labelled records embedded for the silhouette (pairwise cost grows with the square). */
const SILHOUETTE_SAMPLE = 600;

export async function metricsSummary(app: App) {
  const db = app.db;
  const state = await getBanditState(db);
  const counts = (await db.get<{ records: number; labelEvents: number; labelledRecords: number; batches: number; completedBatches: number; devices: number; modelVersions: number }>(
    `SELECT (SELECT count(*) FROM records) AS records,
            (SELECT count(*) FROM labels) AS labelEvents,
            (SELECT count(DISTINCT release_id) FROM labels) AS labelledRecords,
            (SELECT count(*) FROM batches) AS batches,
            (SELECT count(*) FROM batches WHERE completed_at IS NOT NULL) AS completedBatches,
            (SELECT count(*) FROM devices WHERE revoked_at IS NULL) AS devices,
            (SELECT count(*) FROM model_versions) AS modelVersions`,
  ))!;
  const byStrategy = await db.all<{ strategy: string; labelled: number; keepers: number }>(
    `SELECT selection_strategy AS strategy, count(*) AS labelled, sum(label) AS keepers FROM training_instances WHERE label IS NOT NULL GROUP BY selection_strategy`,
  );
  const rate = (s: string) => {
    const row = byStrategy.find((r) => r.strategy === s);
    return { labelled: row?.labelled ?? 0, keepers: row?.keepers ?? 0, keeperRate: row && row.labelled > 0 ? row.keepers / row.labelled : null };
  };
  const perBatch = await db.all<Record<string, number | string | null>>(
    `SELECT b.id AS batchId, b.batch_number AS batchNumber, b.exploration_rate AS exploreRate, b.explore_count AS explore, b.exploit_count AS exploit,
            b.policy, b.model_version AS modelVersion, b.trained_version AS trainedVersion, b.created_at AS createdAt, b.completed_at AS completedAt,
            sum(CASE WHEN t.selection_strategy = 'exploit' THEN t.label END) AS exploitKeepers,
            sum(CASE WHEN t.selection_strategy = 'explore' THEN t.label END) AS exploreKeepers,
            count(t.label) AS labelled
     FROM batches b LEFT JOIN training_instances t ON t.batch_id = b.id GROUP BY b.id ORDER BY b.id DESC LIMIT 100`,
  );
  // Calibration of what the user was shown: the mean predicted at selection against the label given.
  const shown = await db.all<{ mean: number; label: number }>('SELECT mean_at_selection AS mean, label FROM training_instances WHERE label IS NOT NULL');
  const labelled = await latestLabelled(db);
  const keepers = labelled.filter((l) => l.keeper).length;
  let silhouetteScore: number | null = null;
  const sample = labelled.slice(-SILHOUETTE_SAMPLE);
  if (sample.some((l) => l.keeper) && sample.some((l) => !l.keeper)) {
    const { model, version } = await app.activeModel();
    silhouetteScore = silhouette(app.embeddings.get(version, model, sample.map((l) => l.release)), sample.map((l) => (l.keeper ? 1 : 0)));
  }
  return {
    modelVersion: state.activeVersion,
    batchCount: state.batchCount,
    policy: state.policy,
    counts: { ...counts, keepers, nonKeepers: labelled.length - keepers },
    keeperRate: { exploit: rate('exploit'), explore: rate('explore') },
    explorationRatePerBatch: perBatch.reverse(),
    ece: shown.length > 0 ? ece(shown.map((s) => s.mean), shown.map((s) => s.label)) : null,
    aucAtSelection: shown.length > 0 ? auc(shown.map((s) => s.mean), shown.map((s) => s.label)) : null,
    silhouette: silhouetteScore,
    lastTrainingError: app.lastTrainingError,
  };
}
