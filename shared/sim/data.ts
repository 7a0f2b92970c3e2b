// Reading the simulator's inputs: the candidate catalogue (.jsonl of releases) and the collector's
// keepers (a normalised collections .jsonl, a Discogs collection CSV export, or Discogs API
// collection / wantlist JSON pages). Bad input fails with a message that names the file and line.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { releaseFromPoolRecord, type Release } from '../schemas';
import { importFile, type ImportedItem, type ImportProblem } from '../import';

export interface Keepers {
  /** release ids the collector keeps */
  releaseIds: Set<number>;
  /** master ids of keeper entries that carry no release id (matched on the candidate's master id) */
  masterIds: Set<number>;
  /** full records of keepers, when the file carries their metadata (they join the pool) */
  releases: Release[];
}

export function isKeeper(k: Keepers, r: Release): boolean {
  if (k.releaseIds.has(r.id)) return true;
  return r.masterId !== null && k.masterIds.has(r.masterId);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Lines of a .jsonl file as parsed objects, with 1-based line numbers; blank lines are skipped. */
async function readJsonLines(file: string): Promise<{ line: number; value: unknown }[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${describe(err)}`);
  }
  const out: { line: number; value: unknown }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').trim();
    if (raw === '') continue;
    try {
      out.push({ line: i + 1, value: JSON.parse(raw) });
    } catch (err) {
      throw new Error(`${file} line ${i + 1}: not valid JSON (${describe(err)})`);
    }
  }
  return out;
}

/** Candidate catalogue: releases from one or more .jsonl files, de-duplicated by release id. */
export async function loadPool(files: string[]): Promise<Release[]> {
  const byId = new Map<number, Release>();
  for (const file of files) {
    for (const { line, value } of await readJsonLines(file)) {
      let release: Release;
      try {
        release = releaseFromPoolRecord(value);
      } catch (err) {
        throw new Error(`${file} line ${line}: not a release record: ${describe(err)}`);
      }
      if (!byId.has(release.id)) byId.set(release.id, release);
    }
  }
  if (byId.size === 0) throw new Error(`the pool is empty: no release records in ${files.join(', ')}`);
  return [...byId.values()];
}

function positiveInt(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null;
}

/** Users and list kinds in a normalised collections .jsonl, with their sizes (for error messages). */
function listsIn(rows: { value: unknown }[]): string {
  const counts = new Map<string, number>();
  for (const { value } of rows) {
    const o = value as { user?: unknown; kind?: unknown };
    const key = `${String(o.user)} (${String(o.kind)})`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ');
}

async function loadKeepersJsonl(file: string, user: string | null, kinds: string[]): Promise<Keepers> {
  const rows = await readJsonLines(file);
  const users = new Set<string>();
  for (const { line, value } of rows) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new Error(`${file} line ${line}: expected a JSON object with user, kind and release_id`);
    }
    const o = value as Record<string, unknown>;
    if (typeof o.user !== 'string' || o.user === '') throw new Error(`${file} line ${line}: "user" must be a non-empty string`);
    if (typeof o.kind !== 'string' || o.kind === '') throw new Error(`${file} line ${line}: "kind" must be a non-empty string`);
    const hasRelease = o.release_id !== undefined && o.release_id !== null && o.release_id !== 0;
    if (hasRelease && positiveInt(o.release_id) === null) {
      throw new Error(`${file} line ${line}: "release_id" must be a positive integer, got ${JSON.stringify(o.release_id)}`);
    }
    if (!hasRelease && positiveInt(o.master_id) === null) {
      throw new Error(`${file} line ${line}: needs a positive integer "release_id" (or "master_id")`);
    }
    users.add(o.user);
  }
  let who = user;
  if (who === null) {
    if (users.size !== 1) throw new Error(`${file} holds several users: choose one with --user (lists: ${listsIn(rows)})`);
    who = [...users][0] as string;
  }
  const keepers: Keepers = { releaseIds: new Set(), masterIds: new Set(), releases: [] };
  for (const { line, value } of rows) {
    const o = value as Record<string, unknown>;
    if (o.user !== who || !kinds.includes(o.kind as string)) continue;
    const releaseId = positiveInt(o.release_id);
    if (releaseId !== null) keepers.releaseIds.add(releaseId);
    else keepers.masterIds.add(positiveInt(o.master_id) as number);
    // Lines that carry metadata (the non-canonical derived file) can join the pool themselves.
    if (releaseId !== null && typeof o.title === 'string') {
      try {
        keepers.releases.push(releaseFromPoolRecord(o));
      } catch (err) {
        throw new Error(`${file} line ${line}: not a release record: ${describe(err)}`);
      }
    }
  }
  if (keepers.releaseIds.size + keepers.masterIds.size === 0) {
    throw new Error(`${file}: no entries for user "${who}" with kind ${kinds.join(' or ')} (lists: ${listsIn(rows)})`);
  }
  return keepers;
}

/** CSV exports and API JSON pages go through the product's importer (the same parser `keepers import` uses). */
async function loadKeepersImported(file: string): Promise<Keepers> {
  const items: ImportedItem[] = [];
  const sink = {
    async writeChunk(chunk: ImportedItem[]) {
      items.push(...chunk);
    },
    async resumeFrom() {
      return 0;
    },
  };
  const result = await importFile(file, sink);
  if (result.problems.length > 0) {
    const shown = result.problems.slice(0, 5)
      .map((p: ImportProblem) => `${path.basename(p.file)} line ${p.line}: ${p.message}`);
    const more = result.problems.length > 5 ? ` (and ${result.problems.length - 5} more)` : '';
    throw new Error(`malformed keepers file ${file}: ${shown.join('; ')}${more}`);
  }
  if (items.length === 0) throw new Error(`${file}: no keeper records found (format ${result.format})`);
  const keepers: Keepers = { releaseIds: new Set(), masterIds: new Set(), releases: [] };
  for (const item of items) {
    keepers.releaseIds.add(item.release.id);
    keepers.releases.push(item.release);
  }
  return keepers;
}

export async function loadKeepers(file: string, opts: { user?: string | null; kinds?: string[] } = {}): Promise<Keepers> {
  const kinds = opts.kinds ?? ['collection'];
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jsonl' || ext === '.ndjson') return loadKeepersJsonl(file, opts.user ?? null, kinds);
  return loadKeepersImported(file);
}

/** The pool with the keepers' own records added (the product's pool holds what the user has seen too). */
export function mergePool(pool: Release[], keepers: Keepers): Release[] {
  const ids = new Set(pool.map((r) => r.id));
  const merged = pool.slice();
  for (const r of keepers.releases) {
    if (!ids.has(r.id)) {
      ids.add(r.id);
      merged.push(r);
    }
  }
  return merged;
}
