// The SQLite side of `keepers import`: each chunk of records (and, with --as-keepers, their keeper
// labels) is written in one transaction together with the file's checkpoint in import_jobs, so an
// interrupted import resumes after its last whole chunk and never leaves half a chunk behind.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImportedItem, ImportSink } from '../../shared/import';
import type { Db } from '../db';
import { sha256Hex } from '../auth';
import { upsertReleasesIn } from './repository';

export interface SqliteImportSink extends ImportSink {
  fingerprint: string;
  finish(status: 'done' | 'failed', info?: { format?: string; problems?: number }): Promise<void>;
}

function isoOrNull(text: string | null): string | null {
  if (!text) return null;
  const t = Date.parse(text);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

export interface ImportSinkOptions {
  asKeepers?: boolean;
  /** The list every item goes to; it wins over the list the source names (a CSV export with a folder column reads as the collection). */
  kind?: 'collection' | 'wantlist';
  /** The importer's `user` and `format` options: they decide which records are read, so they are part of the resume fingerprint. */
  user?: string;
  format?: string;
}

/**
 * `asKeepers` turns every imported item into a keeper label (source 'import'); its clientId is derived
 * from the release and list, so importing the same file twice adds nothing.
 * The checkpoint is keyed on the file and on every option that changes which records are read or how
 * they are stored: resuming with another `user` must not skip the count of records another user's run committed.
 */
export async function createImportSink(db: Db, file: string, opts: ImportSinkOptions = {}): Promise<SqliteImportSink> {
  const abs = path.resolve(file);
  const st = await stat(abs);
  // user and format are appended only when given, so checkpoints written before they were part of it still resume.
  const extra = opts.user !== undefined || opts.format !== undefined ? `\nuser=${opts.user ?? ''}\nformat=${opts.format ?? ''}` : '';
  const fingerprint = sha256Hex(`${abs}\n${st.size}\n${st.mtimeMs}\n${opts.asKeepers ? 'keepers' : 'records'}\n${opts.kind ?? ''}${extra}`);
  const now = new Date().toISOString();
  await db.write((q) =>
    q.run(
      `INSERT INTO import_jobs (fingerprint, path, as_keepers, records_done, status, started_at, updated_at) VALUES (?, ?, ?, 0, 'running', ?, ?)
       ON CONFLICT(fingerprint) DO UPDATE SET status = 'running', updated_at = excluded.updated_at`,
      [fingerprint, abs, opts.asKeepers ? 1 : 0, now, now],
    ),
  );
  return {
    fingerprint,
    async resumeFrom() {
      const row = await db.get<{ records_done: number }>('SELECT records_done FROM import_jobs WHERE fingerprint = ?', [fingerprint]);
      return row?.records_done ?? 0;
    },
    async writeChunk(items: ImportedItem[], checkpoint: { recordsDone: number }) {
      await db.transaction(async (q) => {
        const stamp = new Date().toISOString();
        await upsertReleasesIn(q, items.map((i) => i.release), 'import', stamp);
        const listed = items.flatMap((i) => {
          const kind = opts.kind ?? i.listKind;
          return kind ? [{ releaseId: i.release.id, kind, dateAdded: i.dateAdded, rating: i.rating }] : [];
        });
        if (listed.length > 0) {
          await q.run(
            `INSERT INTO list_items (release_id, list_kind, date_added, rating)
             SELECT json_extract(value, '$.releaseId'), json_extract(value, '$.kind'), json_extract(value, '$.dateAdded'), json_extract(value, '$.rating')
             FROM json_each(?) WHERE true
             ON CONFLICT(release_id, list_kind) DO UPDATE SET date_added = excluded.date_added, rating = excluded.rating`,
            [JSON.stringify(listed)],
          );
        }
        if (opts.asKeepers) {
          const labels = items.map((i) => ({
            clientId: `import:${opts.kind ?? i.listKind ?? 'list'}:${i.release.id}`,
            releaseId: i.release.id,
            // Never in the future: a later label must be able to correct it.
            labelledAt: [isoOrNull(i.dateAdded) ?? stamp, stamp].sort()[0]!,
          }));
          await q.run(
            `INSERT INTO labels (client_id, release_id, keeper, batch_id, source, device_id, labelled_at, received_at)
             SELECT json_extract(value, '$.clientId'), json_extract(value, '$.releaseId'), 1, NULL, 'import', NULL, json_extract(value, '$.labelledAt'), ?
             FROM json_each(?) WHERE true
             ON CONFLICT(client_id) DO NOTHING`,
            [stamp, JSON.stringify(labels)],
          );
        }
        await q.run('UPDATE import_jobs SET records_done = ?, updated_at = ? WHERE fingerprint = ?', [checkpoint.recordsDone, stamp, fingerprint]);
      });
    },
    async finish(status, info = {}) {
      await db.write((q) =>
        q.run('UPDATE import_jobs SET status = ?, format = coalesce(?, format), problems = ?, updated_at = ? WHERE fingerprint = ?', [
          status,
          info.format ?? null,
          info.problems ?? 0,
          new Date().toISOString(),
          fingerprint,
        ]),
      );
    },
  };
}
