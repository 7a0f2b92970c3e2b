// The records domain's SQL: records (releases) with chunked upserts that merge partial page metadata
// into what is known, lookups by id in one query, sampling of the unlabelled pool by random index
// ranges; the lists an import fills (list_items), import checkpoints (import_jobs) and the Discogs API
// cache (api_cache).
import type { Release } from '../../shared/schemas';
import type { Db, Queries } from '../db';

export type RecordSource = 'page' | 'import' | 'api';

function informative(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'string') return value.length > 0;
  return true;
}

/**
 * New metadata over old, field by field, where the new value says something: a Discogs page shows
 * less than an import or the API did, and must not erase genres or counts already known.
 */
export function mergeRelease(old: Release, next: Release): Release {
  const merged: Release = { ...old };
  for (const key of Object.keys(next) as (keyof Release)[]) {
    if (key === 'community') continue;
    if (informative(next[key])) (merged as Record<string, unknown>)[key] = next[key];
  }
  merged.community = { ...old.community };
  for (const key of Object.keys(next.community) as (keyof Release['community'])[]) {
    if (next.community[key] !== null) merged.community[key] = next.community[key];
  }
  return merged;
}

const CHUNK = 500;

/** Upserts releases in chunks (one statement per chunk, inside the caller's transaction). */
export async function upsertReleasesIn(q: Queries, releases: Release[], source: RecordSource, now = new Date().toISOString()): Promise<{ inserted: number; updated: number }> {
  // The last occurrence of an id wins, as if the records had been sent one after another.
  const byId = new Map<number, Release>();
  for (const r of releases) byId.set(r.id, byId.has(r.id) ? mergeRelease(byId.get(r.id)!, r) : r);
  let inserted = 0;
  let updated = 0;
  const all = [...byId.values()];
  for (let start = 0; start < all.length; start += CHUNK) {
    const chunk = all.slice(start, start + CHUNK);
    const existing = await q.all<{ id: number; release_json: string }>(
      'SELECT id, release_json FROM records WHERE id IN (SELECT value FROM json_each(?))',
      [JSON.stringify(chunk.map((r) => r.id))],
    );
    const known = new Map(existing.map((row) => [row.id, JSON.parse(row.release_json) as Release]));
    const rows = chunk.map((r) => {
      const old = known.get(r.id);
      const release = old ? mergeRelease(old, r) : r;
      return {
        id: release.id,
        masterId: release.masterId,
        title: release.title,
        json: JSON.stringify(release),
        hasGenres: release.genres.length > 0 || release.styles.length > 0 ? 1 : 0,
      };
    });
    inserted += chunk.length - known.size;
    updated += known.size;
    // `WHERE true` is required by SQLite's grammar for an upsert fed by a SELECT.
    await q.run(
      `INSERT INTO records (id, master_id, title, release_json, has_genres, source, created_at, updated_at)
       SELECT json_extract(value, '$.id'), json_extract(value, '$.masterId'), json_extract(value, '$.title'),
              json_extract(value, '$.json'), json_extract(value, '$.hasGenres'), ?, ?, ?
       FROM json_each(?) WHERE true
       ON CONFLICT(id) DO UPDATE SET master_id = excluded.master_id, title = excluded.title,
         release_json = excluded.release_json, has_genres = excluded.has_genres,
         features_json = NULL, updated_at = excluded.updated_at`,
      [source, now, now, JSON.stringify(rows)],
    );
  }
  return { inserted, updated };
}

export function upsertReleases(db: Db, releases: Release[], source: RecordSource): Promise<{ inserted: number; updated: number }> {
  return db.transaction((q) => upsertReleasesIn(q, releases, source));
}

/** Releases for these ids, in the order asked; unknown ids are left out. */
export async function releasesByIds(q: Queries, ids: number[]): Promise<Release[]> {
  if (ids.length === 0) return [];
  const rows = await q.all<{ id: number; release_json: string }>(
    'SELECT id, release_json FROM records WHERE id IN (SELECT value FROM json_each(?))',
    [JSON.stringify(ids)],
  );
  const byId = new Map(rows.map((r) => [r.id, JSON.parse(r.release_json) as Release]));
  return ids.flatMap((id) => {
    const r = byId.get(id);
    return r ? [r] : [];
  });
}

export async function missingIds(q: Queries, ids: number[]): Promise<number[]> {
  const found = new Set(
    (await q.all<{ id: number }>('SELECT id FROM records WHERE id IN (SELECT value FROM json_each(?))', [JSON.stringify(ids)])).map((r) => r.id),
  );
  return [...new Set(ids)].filter((id) => !found.has(id));
}

const UNLABELLED = 'NOT EXISTS (SELECT 1 FROM labels l WHERE l.release_id = records.id)';

/**
 * Up to `size` random unlabelled records. Each record carries a uniform random `sample_key` with an
 * index: we read short runs of the index from several random start points (wrapping around), so the
 * cost grows with `size`, not with the table (ORDER BY RANDOM() sorts the whole table).
 * `rand` must return uniform numbers in [0, 1) (seeded in tests).
 */
export async function sampleUnlabelled(q: Queries, size: number, rand: () => number = Math.random): Promise<Release[]> {
  const picked = new Map<number, Release>();
  const runs = Math.max(1, Math.min(16, Math.ceil(size / 50)));
  const perRun = Math.ceil(size / runs);
  for (let i = 0; i < runs && picked.size < size; i++) {
    const start = rand();
    let rows = await q.all<{ id: number; release_json: string }>(
      `SELECT id, release_json FROM records WHERE sample_key >= ? AND ${UNLABELLED} ORDER BY sample_key LIMIT ?`,
      [start, perRun],
    );
    if (rows.length < perRun) {
      rows = rows.concat(
        await q.all<{ id: number; release_json: string }>(
          `SELECT id, release_json FROM records WHERE sample_key < ? AND ${UNLABELLED} ORDER BY sample_key LIMIT ?`,
          [start, perRun - rows.length],
        ),
      );
    }
    for (const row of rows) if (picked.size < size) picked.set(row.id, JSON.parse(row.release_json) as Release);
  }
  if (picked.size < size) {
    // Runs overlapped (small tables): top up in key order, skipping what we already have.
    const rest = await q.all<{ id: number; release_json: string }>(
      `SELECT id, release_json FROM records WHERE ${UNLABELLED} AND id NOT IN (SELECT value FROM json_each(?)) ORDER BY sample_key LIMIT ?`,
      [JSON.stringify([...picked.keys()]), size - picked.size],
    );
    for (const row of rest) picked.set(row.id, JSON.parse(row.release_json) as Release);
  }
  return [...picked.values()];
}

/** Records lacking genres or styles, oldest first (what `keepers enrich` asks the Discogs API for). */
export async function recordsToEnrich(db: Db, limit: number): Promise<Release[]> {
  const rows = await db.all<{ release_json: string }>(
    `SELECT release_json FROM records WHERE json_array_length(release_json, '$.genres') = 0 OR json_array_length(release_json, '$.styles') = 0 ORDER BY created_at, id LIMIT ?`,
    [limit],
  );
  return rows.map((r) => JSON.parse(r.release_json) as Release);
}

/** Collection or wantlist entries of an import; an entry already listed takes the new date and rating. */
export async function upsertListItems(q: Queries, items: { releaseId: number; kind: 'collection' | 'wantlist'; dateAdded: string | null; rating: number | null }[]): Promise<void> {
  if (items.length === 0) return;
  await q.run(
    `INSERT INTO list_items (release_id, list_kind, date_added, rating)
     SELECT json_extract(value, '$.releaseId'), json_extract(value, '$.kind'), json_extract(value, '$.dateAdded'), json_extract(value, '$.rating')
     FROM json_each(?) WHERE true
     ON CONFLICT(release_id, list_kind) DO UPDATE SET date_added = excluded.date_added, rating = excluded.rating`,
    [JSON.stringify(items)],
  );
}

/** Starts (or resumes: status back to running) the import job with this fingerprint. */
export async function startImportJob(db: Db, job: { fingerprint: string; path: string; asKeepers: boolean; at: string }): Promise<void> {
  await db.write((q) =>
    q.run(
      `INSERT INTO import_jobs (fingerprint, path, as_keepers, records_done, status, started_at, updated_at) VALUES (?, ?, ?, 0, 'running', ?, ?)
       ON CONFLICT(fingerprint) DO UPDATE SET status = 'running', updated_at = excluded.updated_at`,
      [job.fingerprint, job.path, job.asKeepers ? 1 : 0, job.at, job.at],
    ),
  );
}

/** Records an earlier run of this import committed (0 when none). */
export async function importJobRecordsDone(db: Db, fingerprint: string): Promise<number> {
  const row = await db.get<{ records_done: number }>('SELECT records_done FROM import_jobs WHERE fingerprint = ?', [fingerprint]);
  return row?.records_done ?? 0;
}

/** The checkpoint, in the transaction that wrote the chunk it counts. */
export async function setImportJobRecordsDone(q: Queries, fingerprint: string, recordsDone: number, at: string): Promise<void> {
  await q.run('UPDATE import_jobs SET records_done = ?, updated_at = ? WHERE fingerprint = ?', [recordsDone, at, fingerprint]);
}

export async function finishImportJob(db: Db, fingerprint: string, result: { status: 'done' | 'failed'; format: string | null; problems: number; at: string }): Promise<void> {
  await db.write((q) =>
    q.run('UPDATE import_jobs SET status = ?, format = coalesce(?, format), problems = ?, updated_at = ? WHERE fingerprint = ?', [
      result.status,
      result.format,
      result.problems,
      result.at,
      fingerprint,
    ]),
  );
}

/** A cached Discogs API answer by request key, or undefined. */
export async function apiCacheGet(db: Db, key: string): Promise<unknown> {
  const row = await db.get<{ value_json: string }>('SELECT value_json FROM api_cache WHERE key = ?', [key]);
  return row ? (JSON.parse(row.value_json) as unknown) : undefined;
}

export async function apiCacheSet(db: Db, key: string, value: unknown, at: string): Promise<void> {
  await db.write((q) =>
    q.run('INSERT INTO api_cache (key, value_json, fetched_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value_json = excluded.value_json, fetched_at = excluded.fetched_at', [
      key,
      JSON.stringify(value),
      at,
    ]),
  );
}
