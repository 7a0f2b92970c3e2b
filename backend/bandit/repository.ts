// The bandit's SQL. The batch lifecycle in one place: a batch and its picks are stored when selected
// (bandit.selectBatch), answered by labels (labels.submit), completed when every pick has a label,
// trained once (the online update), and read back for "Why shown?"; then the reads of metrics.summary
// and `keepers status`. Tables: batches (one row per batch), training_instances (one row per pick).
import { StrategySchema, type LabelledRelease, type Release, type SelectionItem, type Strategy } from '../../shared/schemas';
import type { Db, Queries } from '../db';

export interface NewBatch {
  batchNumber: number;
  exploreRate: number;
  exploreCount: number;
  exploitCount: number;
  policy: string;
  modelVersion: string;
  poolSize: number;
  deviceId: number | null;
  createdAt: string;
}

/** A pick as stored: the selected item and the dropout head's aleatoric spread at selection. */
export type NewPick = SelectionItem & { aleatoric: number };

/** Stores a batch and its picks (in pick order) inside the caller's transaction; returns the batch id. */
export async function insertBatch(q: Queries, batch: NewBatch, picks: NewPick[]): Promise<number> {
  const { lastID } = await q.run(
    `INSERT INTO batches (batch_number, exploration_rate, explore_count, exploit_count, policy, model_version, pool_size, device_id, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [batch.batchNumber, batch.exploreRate, batch.exploreCount, batch.exploitCount, batch.policy, batch.modelVersion, batch.poolSize, batch.deviceId, batch.createdAt],
  );
  await q.run(
    `INSERT INTO training_instances (batch_id, release_id, position, selection_strategy, uncertainty_at_selection, mean_at_selection,
       aleatoric_at_selection, score, propensity, model_version, device_id, shown_at)
     SELECT ?, json_extract(value, '$.releaseId'), json_extract(value, '$.position'), json_extract(value, '$.strategy'),
            json_extract(value, '$.uncertainty'), json_extract(value, '$.mean'), json_extract(value, '$.aleatoric'),
            json_extract(value, '$.score'), json_extract(value, '$.propensity'), ?, ?, ?
     FROM json_each(?)`,
    [
      lastID,
      batch.modelVersion,
      batch.deviceId,
      batch.createdAt,
      JSON.stringify(
        picks.map((p, position) => ({
          releaseId: p.releaseId,
          position,
          strategy: p.strategy,
          uncertainty: p.uncertainty,
          mean: p.mean,
          aleatoric: p.aleatoric,
          score: p.score,
          propensity: p.propensity,
        })),
      ),
    ],
  );
  return lastID;
}

/** The (batch, release) pairs picked in these batches. */
export async function picksOf(q: Queries, batchIds: number[]): Promise<{ batchId: number; releaseId: number }[]> {
  return q.all<{ batchId: number; releaseId: number }>(
    'SELECT batch_id AS batchId, release_id AS releaseId FROM training_instances WHERE batch_id IN (SELECT value FROM json_each(?))',
    [JSON.stringify(batchIds)],
  );
}

/**
 * Attaches stored labels (by clientId) to the picks they answer and completes the batches whose every
 * pick now has a label; returns the completed batches' ids.
 *
 * A pick is answered by a label for its batch, or by a label without batch for the same record while the
 * batch is still open (the collector labelled it on a Discogs page instead of in the popup). Each pick of
 * an open batch takes the latest such label of its record (labelledAt, then arrival); a completed batch
 * keeps the labels its online update learnt from (later labels still reach training through the labels
 * table).
 */
export async function answerPicks(q: Queries, clientIds: string[], now: string): Promise<number[]> {
  const touched = await q.all<{ batch_id: number }>(
    `SELECT DISTINCT t.batch_id FROM training_instances t JOIN batches b ON b.id = t.batch_id
     JOIN labels l ON l.release_id = t.release_id AND l.client_id IN (SELECT value FROM json_each(?))
     WHERE l.batch_id = t.batch_id OR (l.batch_id IS NULL AND b.completed_at IS NULL)`,
    [JSON.stringify(clientIds)],
  );
  const batchIds = touched.map((t) => t.batch_id);
  if (batchIds.length > 0) {
    await q.run(
      `UPDATE training_instances AS t SET label = l.keeper, label_id = l.id, labelled_at = l.labelled_at
       FROM labels AS l
       WHERE t.batch_id IN (SELECT value FROM json_each(?))
         AND t.batch_id IN (SELECT id FROM batches WHERE completed_at IS NULL) AND l.id = (
         SELECT l2.id FROM labels l2 WHERE l2.release_id = t.release_id AND (l2.batch_id = t.batch_id OR l2.batch_id IS NULL)
         ORDER BY l2.labelled_at DESC, l2.id DESC LIMIT 1)`,
      [JSON.stringify(batchIds)],
    );
  }
  const completed = await q.all<{ id: number }>(
    `SELECT b.id FROM batches b WHERE b.id IN (SELECT value FROM json_each(?)) AND b.completed_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM training_instances t WHERE t.batch_id = b.id AND t.label IS NULL)`,
    [JSON.stringify(batchIds)],
  );
  const completedBatchIds = completed.map((c) => c.id);
  if (completedBatchIds.length > 0) {
    await q.run('UPDATE batches SET completed_at = ? WHERE id IN (SELECT value FROM json_each(?))', [now, JSON.stringify(completedBatchIds)]);
  }
  return completedBatchIds;
}

/** Completed batches whose online update has not run (interrupted by a restart), oldest first. */
export async function untrainedCompletedBatchIds(db: Db): Promise<number[]> {
  return (await db.all<{ id: number }>('SELECT id FROM batches WHERE completed_at IS NOT NULL AND trained_version IS NULL ORDER BY id')).map((r) => r.id);
}

/** What an online update needs of a batch: its policy and labelled picks (pick order); null if unknown or already trained. */
export async function batchToTrain(db: Db, batchId: number): Promise<{ policy: string; picks: LabelledRelease[] } | null> {
  const row = await db.get<{ trained_version: string | null; policy: string }>('SELECT trained_version, policy FROM batches WHERE id = ?', [batchId]);
  if (!row || row.trained_version) return null;
  const picks = await db.all<{ release_json: string; label: number }>(
    `SELECT r.release_json, t.label FROM training_instances t JOIN records r ON r.id = t.release_id WHERE t.batch_id = ? AND t.label IS NOT NULL ORDER BY t.position`,
    [batchId],
  );
  return { policy: row.policy, picks: picks.map((p) => ({ release: JSON.parse(p.release_json) as Release, keeper: p.label === 1 })) };
}

/** Whether a batch's online update already stored its version, or the batch is gone (read inside the transaction that would store it). */
export async function batchAlreadyTrained(q: Queries, batchId: number): Promise<boolean> {
  const row = await q.get<{ trained_version: string | null }>('SELECT trained_version FROM batches WHERE id = ?', [batchId]);
  return !row || row.trained_version !== null;
}

export async function markBatchTrained(q: Queries, batchId: number, version: string): Promise<void> {
  await q.run('UPDATE batches SET trained_version = ? WHERE id = ?', [version, batchId]);
}

/** How an open batch picked this record (the latest such pick), or null when no open batch picked it. */
export async function openPickStrategy(db: Db, releaseId: number): Promise<Strategy | null> {
  const row = await db.get<{ selection_strategy: string }>(
    `SELECT t.selection_strategy FROM training_instances t JOIN batches b ON b.id = t.batch_id
     WHERE t.release_id = ? AND b.completed_at IS NULL ORDER BY t.id DESC LIMIT 1`,
    [releaseId],
  );
  const parsed = StrategySchema.safeParse(row?.selection_strategy);
  return parsed.success ? parsed.data : null;
}

export interface StoreCounts {
  records: number;
  labelEvents: number;
  labelledRecords: number;
  keeperRecords: number;
  batches: number;
  completedBatches: number;
  devices: number;
  modelVersions: number;
}

/** How much the database holds (metrics.summary, `keepers status`). */
export async function storeCounts(db: Db): Promise<StoreCounts> {
  const row = await db.get<StoreCounts>(
    `SELECT (SELECT count(*) FROM records) AS records,
            (SELECT count(*) FROM labels) AS labelEvents,
            (SELECT count(DISTINCT release_id) FROM labels) AS labelledRecords,
            (SELECT count(DISTINCT release_id) FROM labels WHERE keeper = 1) AS keeperRecords,
            (SELECT count(*) FROM batches) AS batches,
            (SELECT count(*) FROM batches WHERE completed_at IS NOT NULL) AS completedBatches,
            (SELECT count(*) FROM devices WHERE revoked_at IS NULL) AS devices,
            (SELECT count(*) FROM model_versions) AS modelVersions`,
  );
  return row!;
}

/** Labelled picks and keepers among them, per selection strategy. */
export async function labelledPicksByStrategy(db: Db): Promise<{ strategy: string; labelled: number; keepers: number }[]> {
  return db.all<{ strategy: string; labelled: number; keepers: number }>(
    `SELECT selection_strategy AS strategy, count(*) AS labelled, sum(label) AS keepers FROM training_instances WHERE label IS NOT NULL GROUP BY selection_strategy`,
  );
}

/** The latest 100 batches, newest first: schedule, split, policy, versions and keepers per strategy. */
export async function recentBatches(db: Db): Promise<Record<string, number | string | null>[]> {
  return db.all<Record<string, number | string | null>>(
    `SELECT b.id AS batchId, b.batch_number AS batchNumber, b.exploration_rate AS exploreRate, b.explore_count AS explore, b.exploit_count AS exploit,
            b.policy, b.model_version AS modelVersion, b.trained_version AS trainedVersion, b.created_at AS createdAt, b.completed_at AS completedAt,
            sum(CASE WHEN t.selection_strategy = 'exploit' THEN t.label END) AS exploitKeepers,
            sum(CASE WHEN t.selection_strategy = 'explore' THEN t.label END) AS exploreKeepers,
            count(t.label) AS labelled
     FROM batches b LEFT JOIN training_instances t ON t.batch_id = b.id GROUP BY b.id ORDER BY b.id DESC LIMIT 100`,
  );
}

/** The mean shown at selection and the label given, for every labelled pick (calibration of what was shown). */
export async function shownMeansAndLabels(db: Db): Promise<{ mean: number; label: number }[]> {
  return db.all<{ mean: number; label: number }>('SELECT mean_at_selection AS mean, label FROM training_instances WHERE label IS NOT NULL');
}
