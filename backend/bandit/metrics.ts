// metrics.summary: how the bandit is doing, from what was stored at selection time: counts, the keeper
// rate of exploit and explore picks, the schedule per batch, the calibration (ECE, AUC) of the means the
// collector was shown, and how well the taste space separates keepers (silhouette).
import { ece, silhouette, auc } from '../../shared/metrics';
import type { BanditContext } from './context';
import { getBanditState } from '../models';
import { latestLabelled } from '../labels';
import { labelledPicksByStrategy, recentBatches, shownMeansAndLabels, storeCounts } from './repository';

/** Labelled records embedded for the silhouette (pairwise cost grows with the square). */
const SILHOUETTE_SAMPLE = 600;

export async function metricsSummary(ctx: BanditContext, lastTrainingError: string | null) {
  const db = ctx.db;
  const state = await getBanditState(db);
  const c = await storeCounts(db);
  const counts = { records: c.records, labelEvents: c.labelEvents, labelledRecords: c.labelledRecords, batches: c.batches, completedBatches: c.completedBatches, devices: c.devices, modelVersions: c.modelVersions };
  const byStrategy = await labelledPicksByStrategy(db);
  const rate = (s: string) => {
    const row = byStrategy.find((r) => r.strategy === s);
    return { labelled: row?.labelled ?? 0, keepers: row?.keepers ?? 0, keeperRate: row && row.labelled > 0 ? row.keepers / row.labelled : null };
  };
  const perBatch = await recentBatches(db);
  // Calibration of what the user was shown: the mean predicted at selection against the label given.
  const shown = await shownMeansAndLabels(db);
  const labelled = await latestLabelled(db);
  const keepers = labelled.filter((l) => l.keeper).length;
  let silhouetteScore: number | null = null;
  const sample = labelled.slice(-SILHOUETTE_SAMPLE);
  if (sample.some((l) => l.keeper) && sample.some((l) => !l.keeper)) {
    const { model, version } = await ctx.models.get();
    silhouetteScore = silhouette(ctx.embeddings.get(version, model, sample.map((l) => l.release)), sample.map((l) => (l.keeper ? 1 : 0)));
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
    lastTrainingError,
  };
}
