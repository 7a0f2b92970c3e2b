// The SQLite side of `keepers import`: each chunk of records (and, with --as-keepers, their keeper
// labels) is written in one transaction together with the file's checkpoint in import_jobs, so an
// interrupted import resumes after its last whole chunk and never leaves half a chunk behind.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImportedItem, ImportSink } from '../../shared/import';
import type { Db } from '../db';
import { sha256Hex } from '../auth';
import { insertImportedKeepers } from '../labels';
import { finishImportJob, importJobRecordsDone, setImportJobRecordsDone, startImportJob, upsertListItems, upsertReleasesIn } from './repository';

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
  await startImportJob(db, { fingerprint, path: abs, asKeepers: opts.asKeepers ?? false, at: new Date().toISOString() });
  return {
    fingerprint,
    resumeFrom: () => importJobRecordsDone(db, fingerprint),
    async writeChunk(items: ImportedItem[], checkpoint: { recordsDone: number }) {
      await db.transaction(async (q) => {
        const stamp = new Date().toISOString();
        await upsertReleasesIn(q, items.map((i) => i.release), 'import', stamp);
        await upsertListItems(
          q,
          items.flatMap((i) => {
            const kind = opts.kind ?? i.listKind;
            return kind ? [{ releaseId: i.release.id, kind, dateAdded: i.dateAdded, rating: i.rating }] : [];
          }),
        );
        if (opts.asKeepers) {
          const labels = items.map((i) => ({
            clientId: `import:${opts.kind ?? i.listKind ?? 'list'}:${i.release.id}`,
            releaseId: i.release.id,
            // Never in the future: a later label must be able to correct it.
            labelledAt: [isoOrNull(i.dateAdded) ?? stamp, stamp].sort()[0]!,
          }));
          await insertImportedKeepers(q, labels, stamp);
        }
        await setImportJobRecordsDone(q, fingerprint, checkpoint.recordsDone, stamp);
      });
    },
    async finish(status, info = {}) {
      await finishImportJob(db, fingerprint, { status, format: info.format ?? null, problems: info.problems ?? 0, at: new Date().toISOString() });
    },
  };
}
