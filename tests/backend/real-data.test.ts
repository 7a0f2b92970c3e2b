// The acceptance scenario on the real Discogs data in ../shared/data (skipped, visibly, without it):
// every real CSV export variant imported as keepers, the canonical pool as candidates, a batch of 1000
// candidates → 20 picks, labelled over HTTP, a new model version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { dataPath, hasData } from '../helpers/data';
import { importFile } from '../../backend/import';
import { createImportSink } from '../../backend/importSink';
import type { App } from '../../backend/app';
import type { RunningServer } from '../../backend/server';
import { openApp, pairDevice, tempDir, withServer, type Client } from './helpers';

const EXPORTS = [
  ['sources', 'russmckendrick__discogs-scraper', 'discogs.csv'],
  ['sources', 'JELambert__discographyapp', 'data__collection.csv'],
  ['sources', 'JP-Kelly__discogs-vinyl-collection-analysis', 'data__discogs_export.csv'],
];

describe.skipIf(!hasData)('backend on the real Discogs data', () => {
  const t = tempDir();
  let app: App;
  let server: RunningServer;
  let client: Client;

  beforeAll(async () => {
    app = await openApp(path.join(t.dir, 'real.sqlite'), { trainer: 'worker' });
    server = await withServer(app);
    ({ client } = await pairDevice(app, server.url, 'real'));
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
    t.cleanup();
  });

  it('imports every real CSV export variant as keepers and the canonical pool as candidates', async () => {
    for (const parts of EXPORTS) {
      const file = dataPath(...parts);
      const sink = await createImportSink(app.db, file, { asKeepers: true, kind: 'collection' });
      const result = await importFile(file, sink);
      expect(result.format).toBe('collection-csv');
      expect(result.records).toBeGreaterThan(5);
    }
    const pool = dataPath('derived', 'canonical', 'pool.jsonl');
    const result = await importFile(pool, await createImportSink(app.db, pool));
    expect(result.records).toBe(7257);
    const counts = await app.db.get<{ records: number; keepers: number }>('SELECT (SELECT count(*) FROM records) AS records, (SELECT count(DISTINCT release_id) FROM labels) AS keepers');
    expect(counts!.keepers).toBeGreaterThan(2500);
    expect(counts!.records).toBeGreaterThan(7257);
  });

  it('selects 12 explore / 8 exploit from 1000 unlabelled real releases, learns from the labels', async () => {
    const before = await client.models.latest.query();
    const batch = await client.bandit.selectBatch.mutate({});
    expect(batch.poolSize).toBe(1000);
    expect(batch.items.filter((i) => i.strategy === 'explore')).toHaveLength(12);
    const labelled = new Set((await app.db.all<{ release_id: number }>('SELECT release_id FROM labels')).map((r) => r.release_id));
    expect(batch.items.some((i) => labelled.has(i.releaseId))).toBe(false);
    const releases = await client.records.byIds.query({ ids: batch.items.map((i) => i.releaseId) });
    const result = await client.labels.submit.mutate({
      labels: releases.map((r, i) => ({ clientId: `real-${i}`, releaseId: r.id, keeper: r.genres.includes('Rock'), batchId: batch.batchId, labelledAt: new Date().toISOString() })),
    });
    expect(result.training).toBe(true);
    await app.idle();
    const after = await client.models.latest.query();
    expect(after.parentVersion).toBe(before.version);
    expect(after.batchCount).toBe(1);
    const summary = await client.metrics.summary.query();
    expect(summary.counts.records).toBeGreaterThan(7257);
    expect(summary.keeperRate.exploit.labelled).toBe(8);
  });
});
