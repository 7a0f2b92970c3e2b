// Enrichment through the Discogs client against a local HTTP server standing in for the API, with the
// client's cache in SQLite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Db } from '../../backend/db';
import { createImportSink } from '../../backend/records';
import { importFile } from '../../shared/import';
import { discogsToken, enrichRecords, recordsToEnrich, sqliteCache } from '../../backend/records';
import { releasesByIds } from '../../backend/records';
import { FIXTURES, tempDir } from './helpers';

describe('keepers enrich', () => {
  const t = tempDir();
  let db: Db;
  let api: Server;
  let baseUrl = '';
  const hits: string[] = [];
  const auth: (string | undefined)[] = [];

  beforeAll(async () => {
    db = await Db.open(path.join(t.dir, 'e.sqlite'));
    const file = path.join(FIXTURES, 'collection.csv');
    const sink = await createImportSink(db, file);
    await importFile(file, sink);
    const doc = readFileSync(path.join(FIXTURES, 'api-release-9000001.json'), 'utf8');
    api = createServer((req, res) => {
      hits.push(req.url ?? '');
      auth.push(req.headers.authorization);
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-discogs-ratelimit', '60');
      res.setHeader('x-discogs-ratelimit-remaining', '59');
      if (req.url === '/releases/9000001') return res.end(doc);
      res.statusCode = 404;
      res.end(JSON.stringify({ message: 'Release not found.' }));
    });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => api.close(() => r()));
    await db.close();
    t.cleanup();
  });

  it('fills genres and styles from the API, caches answers (404s too) and keeps what the export knew', async () => {
    const before = (await releasesByIds(db, [9000001]))[0]!;
    expect(before.genres).toEqual([]);
    expect((await recordsToEnrich(db, 1000)).length).toBe(24);
    const first = await enrichRecords(db, { token: 'tok123', baseUrl, limit: 2 });
    expect(first).toMatchObject({ candidates: 2, enriched: 1 });
    expect(first.failed).toHaveLength(1);
    expect(first.failed[0]!.message).toMatch(/not found/i);
    expect(auth.every((a) => a === 'Discogs token=tok123')).toBe(true);
    const after = (await releasesByIds(db, [9000001]))[0]!;
    expect(after.genres).toEqual(['Jazz']);
    expect(after.styles).toEqual(['Hard Bop', 'Modal']);
    expect(after.country).toBe('UK');
    expect(after.labels[0]!.catno).toBe('HAR100');
    const row = await db.get<{ has_genres: number }>('SELECT has_genres FROM records WHERE id = 9000001');
    expect(row!.has_genres).toBe(1);
    expect(await sqliteCache(db).get('GET /releases/9000001')).toMatchObject({ id: 9000001 });
    // The enriched record is done; the 404 is answered from the cache: no request at all.
    const hitsBefore = hits.length;
    const second = await enrichRecords(db, { token: 'tok123', baseUrl, limit: 1 });
    expect(second).toMatchObject({ candidates: 1, enriched: 0 });
    expect(hits.length).toBe(hitsBefore);
  });

  it('reads the token from DISCOGS_TOKEN or the config file, and names a broken config file', async () => {
    const { writeFileSync, mkdirSync } = await import('node:fs');
    expect(discogsToken({ DISCOGS_TOKEN: ' abc ' })).toBe('abc');
    const cfgHome = path.join(t.dir, 'cfg');
    mkdirSync(path.join(cfgHome, 'discogs-keepers'), { recursive: true });
    writeFileSync(path.join(cfgHome, 'discogs-keepers', 'config.json'), JSON.stringify({ discogsToken: 'fromfile' }));
    expect(discogsToken({ XDG_CONFIG_HOME: cfgHome })).toBe('fromfile');
    writeFileSync(path.join(cfgHome, 'discogs-keepers', 'config.json'), '{ nope');
    expect(() => discogsToken({ XDG_CONFIG_HOME: cfgHome })).toThrow(/config\.json is not valid JSON/);
    expect(discogsToken({ XDG_CONFIG_HOME: path.join(t.dir, 'none') })).toBeUndefined();
  });
});
