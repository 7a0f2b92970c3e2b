// `keepers enrich`: fills in genres/styles of records that lack them from the Discogs API, through
// the rate-limited client (./discogs) with its cache kept in SQLite (api_cache).
import { readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDiscogsClient, keepersUserAgent, type DiscogsCache, type EnrichProgress } from './discogs';
import type { Db } from '../db';
import { apiCacheGet, apiCacheSet, recordsToEnrich, upsertReleases } from './repository';
import { VERSION } from '../version';

/** The API cache on the api_cache table: JSON values by request key. */
export function sqliteCache(db: Db): DiscogsCache {
  return {
    get: (key) => apiCacheGet(db, key),
    set: (key, value) => apiCacheSet(db, key, value, new Date().toISOString()),
  };
}

export function configFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'discogs-keepers', 'config.json');
}

/** DISCOGS_TOKEN, else `discogsToken` in the config file; undefined when neither is set. */
export function discogsToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.DISCOGS_TOKEN?.trim()) return env.DISCOGS_TOKEN.trim();
  const file = configFile(env);
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const token = (parsed as { discogsToken?: unknown }).discogsToken;
  if (token !== undefined && typeof token !== 'string') throw new Error(`${file}: discogsToken must be a string`);
  return token?.trim() || undefined;
}

export async function enrichRecords(
  db: Db,
  opts: { token?: string; baseUrl?: string; limit?: number; onProgress?: (p: EnrichProgress) => void; signal?: AbortSignal },
): Promise<{ candidates: number; enriched: number; failed: { id: number; message: string }[] }> {
  const todo = await recordsToEnrich(db, opts.limit ?? 1_000_000);
  const client = createDiscogsClient({ token: opts.token, userAgent: keepersUserAgent(VERSION), baseUrl: opts.baseUrl, cache: sqliteCache(db) });
  const saves: Promise<unknown>[] = [];
  const result = await client.enrichMissing(
    todo,
    (p) => {
      // Save each record as soon as it is enriched: an interrupted run keeps what it fetched.
      if (p.last.release) saves.push(upsertReleases(db, [p.last.release], 'api'));
      opts.onProgress?.(p);
    },
    { signal: opts.signal },
  );
  await Promise.all(saves);
  return { candidates: todo.length, enriched: result.enriched, failed: result.failed };
}
