// The SQL of the labels table: new labels, the ones already stored, sync by cursor, and the latest
// label of each record that training reads.
import type { LabelSource, LabelledRelease, Release } from '../../shared/schemas';
import type { Db, Queries } from '../db';

/** Which of these clientIds are already stored. */
export async function storedClientIds(q: Queries, clientIds: string[]): Promise<Set<string>> {
  const rows = await q.all<{ client_id: string }>('SELECT client_id FROM labels WHERE client_id IN (SELECT value FROM json_each(?))', [JSON.stringify(clientIds)]);
  return new Set(rows.map((r) => r.client_id));
}

export interface NewLabel {
  clientId: string;
  releaseId: number;
  keeper: boolean;
  batchId: number | null;
  /** Already normalised (UTC, never after its arrival). */
  labelledAt: string;
}

export async function insertLabels(q: Queries, labels: NewLabel[], from: { source: 'user' | 'import'; deviceId: number | null; receivedAt: string }): Promise<void> {
  await q.run(
    `INSERT INTO labels (client_id, release_id, keeper, batch_id, source, device_id, labelled_at, received_at)
     SELECT json_extract(value, '$.clientId'), json_extract(value, '$.releaseId'), json_extract(value, '$.keeper'),
            json_extract(value, '$.batchId'), ?, ?, json_extract(value, '$.labelledAt'), ?
     FROM json_each(?)`,
    [from.source, from.deviceId, from.receivedAt, JSON.stringify(labels.map((l) => ({ ...l, keeper: l.keeper ? 1 : 0 })))],
  );
}

/** Keeper labels of an import (`keepers import --as-keepers`); a clientId already stored is left as it is. */
export async function insertImportedKeepers(q: Queries, labels: { clientId: string; releaseId: number; labelledAt: string }[], receivedAt: string): Promise<void> {
  await q.run(
    `INSERT INTO labels (client_id, release_id, keeper, batch_id, source, device_id, labelled_at, received_at)
     SELECT json_extract(value, '$.clientId'), json_extract(value, '$.releaseId'), 1, NULL, 'import', NULL, json_extract(value, '$.labelledAt'), ?
     FROM json_each(?) WHERE true
     ON CONFLICT(client_id) DO NOTHING`,
    [receivedAt, JSON.stringify(labels)],
  );
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
): Promise<(LabelledRelease & { labelledAt: string; source: LabelSource })[]> {
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

/**
 * Changes whenever a label is stored (labels are only ever inserted): the newest id and the count.
 * One index lookup, so callers can keep what they read from the labels until it changes.
 */
export async function labelsStamp(q: Queries): Promise<string> {
  const row = await q.get<{ newest: number | null; n: number }>('SELECT max(id) AS newest, count(*) AS n FROM labels');
  return `${row?.newest ?? 0}:${row?.n ?? 0}`;
}

/** Whether any label came from an import (then the default learner needs unlabelled records as contrast). */
export async function hasImportedLabels(db: Db): Promise<boolean> {
  return Boolean(await db.get("SELECT 1 AS one FROM labels WHERE source = 'import' LIMIT 1"));
}
