// Keeper labels: idempotent submission (clientId), attachment to batch picks, sync by cursor, and the
// "latest label per record" view that training reads.
import { TRPCError } from '@trpc/server';
import type { KeeperLabel, Release } from '../../shared/schemas';
import type { Db, Queries } from '../db';
import { missingIds, upsertReleasesIn } from '../records';

export type LabelSubmission = KeeperLabel & { record?: Release };

export interface SubmitResult {
  accepted: number;
  duplicates: number;
  /** Batches whose every pick is now labelled (their online update is due). */
  completedBatchIds: number[];
}

/**
 * Stores new labels in one transaction. Labels whose clientId is already stored (or repeated in this
 * request) are duplicates and change nothing. Unknown release ids are refused with NOT_FOUND unless the
 * label carries its `record` (a record seen on a Discogs page), which is upserted first. A batchId must
 * name a stored batch that picked that release. Any refusal rolls the whole request back.
 */
/**
 * labelledAt as stored: UTC with milliseconds and a Z (what Date.toISOString() writes), so labels sort
 * as text whatever offset the device sent, and never later than `now` (the arrival): a device whose
 * clock runs ahead must not win over every later correction.
 */
export function normaliseLabelledAt(labelledAt: string, now: Date): string {
  const t = Date.parse(labelledAt);
  if (Number.isNaN(t)) throw new TRPCError({ code: 'BAD_REQUEST', message: `labelledAt ${JSON.stringify(labelledAt.slice(0, 40))} is not a date.` });
  return new Date(Math.min(t, now.getTime())).toISOString();
}

export async function submitLabels(db: Db, deviceId: number | null, labels: LabelSubmission[], source: 'user' | 'import' = 'user'): Promise<SubmitResult> {
  return db.transaction(async (q) => {
    const nowDate = new Date();
    const now = nowDate.toISOString();
    const existing = new Set(
      (await q.all<{ client_id: string }>('SELECT client_id FROM labels WHERE client_id IN (SELECT value FROM json_each(?))', [JSON.stringify(labels.map((l) => l.clientId))])).map(
        (r) => r.client_id,
      ),
    );
    const fresh: LabelSubmission[] = [];
    const seen = new Set<string>();
    for (const label of labels) {
      if (existing.has(label.clientId) || seen.has(label.clientId)) continue;
      seen.add(label.clientId);
      fresh.push(label);
    }
    const duplicates = labels.length - fresh.length;
    if (fresh.length === 0) return { accepted: 0, duplicates, completedBatchIds: [] };

    const records = fresh.flatMap((l) => (l.record ? [l.record] : []));
    for (const l of fresh) {
      if (l.record && l.record.id !== l.releaseId) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: `Label ${l.clientId}: record.id ${l.record.id} does not match releaseId ${l.releaseId}.` });
      }
    }
    if (records.length > 0) await upsertReleasesIn(q, records, 'page', now);
    const missing = await missingIds(q, fresh.map((l) => l.releaseId));
    if (missing.length > 0) {
      throw new TRPCError({
        code: 'NOT_FOUND',
        message: `Unknown release id${missing.length > 1 ? 's' : ''} ${missing.slice(0, 20).join(', ')}: send the record with its label (field \`record\`) or upsert it with records.upsert first. Nothing was stored.`,
      });
    }
    await checkBatches(q, fresh);

    await q.run(
      `INSERT INTO labels (client_id, release_id, keeper, batch_id, source, device_id, labelled_at, received_at)
       SELECT json_extract(value, '$.clientId'), json_extract(value, '$.releaseId'), json_extract(value, '$.keeper'),
              json_extract(value, '$.batchId'), ?, ?, json_extract(value, '$.labelledAt'), ?
       FROM json_each(?)`,
      [source, deviceId, now, JSON.stringify(fresh.map((l) => ({ clientId: l.clientId, releaseId: l.releaseId, keeper: l.keeper ? 1 : 0, batchId: l.batchId ?? null, labelledAt: normaliseLabelledAt(l.labelledAt, nowDate) })))],
    );
    // A pick is answered by a label for its batch, or by a label without batch for the same record while
    // the batch is still open (the user labelled it on a Discogs page instead of in the popup).
    const touched = await q.all<{ batch_id: number }>(
      `SELECT DISTINCT t.batch_id FROM training_instances t JOIN batches b ON b.id = t.batch_id
       JOIN labels l ON l.release_id = t.release_id AND l.client_id IN (SELECT value FROM json_each(?))
       WHERE l.batch_id = t.batch_id OR (l.batch_id IS NULL AND b.completed_at IS NULL)`,
      [JSON.stringify(fresh.map((l) => l.clientId))],
    );
    const batchIds = touched.map((t) => t.batch_id);
    if (batchIds.length > 0) {
      // The latest label (labelledAt, then arrival) of each pick's record that answers it. Only open
      // batches change: a completed batch keeps the labels its online update learnt from (later labels
      // still reach training through the labels table).
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
    return { accepted: fresh.length, duplicates, completedBatchIds };
  });
}

async function checkBatches(q: Queries, labels: LabelSubmission[]): Promise<void> {
  const withBatch = labels.filter((l) => l.batchId !== undefined && l.batchId !== null);
  if (withBatch.length === 0) return;
  const picks = await q.all<{ batch_id: number; release_id: number }>(
    'SELECT batch_id, release_id FROM training_instances WHERE batch_id IN (SELECT value FROM json_each(?))',
    [JSON.stringify([...new Set(withBatch.map((l) => l.batchId))])],
  );
  const batches = new Set(picks.map((p) => p.batch_id));
  const pairs = new Set(picks.map((p) => `${p.batch_id}:${p.release_id}`));
  for (const l of withBatch) {
    if (!batches.has(l.batchId!)) {
      throw new TRPCError({ code: 'NOT_FOUND', message: `Label ${l.clientId}: unknown batch ${l.batchId}. Nothing was stored.` });
    }
    if (!pairs.has(`${l.batchId}:${l.releaseId}`)) {
      throw new TRPCError({ code: 'BAD_REQUEST', message: `Label ${l.clientId}: release ${l.releaseId} was not picked in batch ${l.batchId}. Nothing was stored.` });
    }
  }
}

export interface SyncedLabel {
  cursor: number;
  clientId: string;
  releaseId: number;
  keeper: boolean;
  batchId: number | null;
  labelledAt: string;
  source: string;
  deviceId: number | null;
}

/** Labels stored after `cursor`, oldest first; pass the returned cursor to continue. */
export async function labelsSince(q: Queries, cursor: number, limit: number): Promise<{ labels: SyncedLabel[]; cursor: number; hasMore: boolean }> {
  const rows = await q.all<{ id: number; client_id: string; release_id: number; keeper: number; batch_id: number | null; labelled_at: string; source: string; device_id: number | null }>(
    'SELECT id, client_id, release_id, keeper, batch_id, labelled_at, source, device_id FROM labels WHERE id > ? ORDER BY id LIMIT ?',
    [cursor, limit + 1],
  );
  const page = rows.slice(0, limit);
  return {
    labels: page.map((r) => ({
      cursor: r.id,
      clientId: r.client_id,
      releaseId: r.release_id,
      keeper: r.keeper === 1,
      batchId: r.batch_id,
      labelledAt: r.labelled_at,
      source: r.source,
      deviceId: r.device_id,
    })),
    cursor: page.at(-1)?.id ?? cursor,
    hasMore: rows.length > limit,
  };
}

/**
 * The latest label of every labelled record (labelledAt, then arrival), with the release and where the
 * label came from ('user': given in the extension; 'import': `keepers import --as-keepers`), oldest
 * first. `limit` keeps only the most recent ones (still oldest first), so callers that need a bounded
 * window do not parse every labelled record.
 */
export async function latestLabelled(
  q: Queries,
  opts: { excludeReleaseIds?: number[]; limit?: number } = {},
): Promise<{ release: Release; keeper: boolean; labelledAt: string; source: 'user' | 'import' }[]> {
  const rows = await q.all<{ release_json: string; keeper: number; labelled_at: string; source: string }>(
    `SELECT r.release_json, x.keeper, x.labelled_at, x.source FROM (
       SELECT release_id, keeper, labelled_at, id, source, row_number() OVER (PARTITION BY release_id ORDER BY labelled_at DESC, id DESC) AS rn FROM labels
     ) x JOIN records r ON r.id = x.release_id
     WHERE x.rn = 1 AND x.release_id NOT IN (SELECT value FROM json_each(?))
     ORDER BY x.labelled_at DESC, x.id DESC LIMIT ?`,
    [JSON.stringify(opts.excludeReleaseIds ?? []), opts.limit ?? -1],
  );
  return rows
    .reverse()
    .map((r) => ({ release: JSON.parse(r.release_json) as Release, keeper: r.keeper === 1, labelledAt: r.labelled_at, source: r.source === 'import' ? ('import' as const) : ('user' as const) }));
}

/** Whether any label came from an import (then the default learner needs unlabelled records as contrast). */
export async function hasImportedLabels(q: Queries): Promise<boolean> {
  return Boolean(await q.get("SELECT 1 AS one FROM labels WHERE source = 'import' LIMIT 1"));
}
