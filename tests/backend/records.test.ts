// Records, labels and import through the logic layer (createCaller and the import sink), real SQLite.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { copyFileSync } from 'node:fs';
import type { App } from '../../backend/app';
import { createPairingCode } from '../../backend/auth';
import { sampleUnlabelled, mergeRelease } from '../../backend/records';
import { createImportSink } from '../../backend/records';
import { importFile } from '../../shared/import';
import { mulberry32 } from '../../shared/random';
import { callerFor, errorOf, FIXTURES, openApp, syntheticReleases, tempDir } from './helpers';

describe('records, labels and import', () => {
  const t = tempDir();
  let app: App;
  let caller: Awaited<ReturnType<typeof callerFor>>;

  beforeAll(async () => {
    app = await openApp(path.join(t.dir, 'r.sqlite'));
    const { code } = await createPairingCode(app.db);
    const { token } = await (await callerFor(app, null)).devices.pair({ pairingCode: code, deviceName: 'test' });
    caller = await callerFor(app, token);
  });
  afterAll(async () => {
    await app.close();
    t.cleanup();
  });

  it('merges partial page metadata into what is known instead of erasing it', async () => {
    const [full] = syntheticReleases(1, 1);
    expect(await caller.records.upsert({ records: [full!] })).toEqual({ inserted: 1, updated: 0 });
    // A Discogs page showed only the title and the have count.
    const partial = { id: 1, title: 'Renamed', community: { have: 9999 } };
    expect(await caller.records.upsert({ records: [partial as never] })).toEqual({ inserted: 0, updated: 1 });
    const [stored] = await caller.records.byIds({ ids: [1, 424242] });
    expect(stored!.title).toBe('Renamed');
    expect(stored!.genres).toEqual(full!.genres);
    expect(stored!.labels).toEqual(full!.labels);
    expect(stored!.community.have).toBe(9999);
    expect(stored!.community.want).toBe(full!.community.want);
    expect(mergeRelease(full!, { ...full!, styles: [] }).styles).toEqual(full!.styles);
  });

  it('refuses more records per call than the contract allows, naming the limit, and stores none', async () => {
    const e = await errorOf(caller.records.upsert({ records: syntheticReleases(1001, 600_000) }));
    expect(e.code).toBe('BAD_REQUEST');
    expect(e.message).toMatch(/records: .*1000/);
    expect(await caller.records.byIds({ ids: [600_000] })).toEqual([]);
  });

  it('stores labels idempotently on clientId and pages them by cursor', async () => {
    await caller.records.upsert({ records: syntheticReleases(10, 10) });
    const at = '2026-02-01T10:00:00.000Z';
    const labels = [10, 11, 12].map((id, i) => ({ clientId: `c${i}`, releaseId: id, keeper: i !== 1, labelledAt: at }));
    expect(await caller.labels.submit({ labels })).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(await caller.labels.submit({ labels: [...labels, labels[0]!] })).toMatchObject({ accepted: 0, duplicates: 4 });
    const page = await caller.labels.since({ cursor: 0 });
    expect(page.labels.map((l) => [l.clientId, l.releaseId, l.keeper])).toEqual([
      ['c0', 10, true],
      ['c1', 11, false],
      ['c2', 12, true],
    ]);
    expect((await caller.labels.since({ cursor: page.cursor })).labels).toEqual([]);
    const badBatch = await errorOf(caller.labels.submit({ labels: [{ clientId: 'z', releaseId: 13, keeper: true, labelledAt: at, batchId: 77 }] }));
    expect(badBatch.code).toBe('NOT_FOUND');
    expect(badBatch.message).toMatch(/unknown batch 77/);
    const badDate = await errorOf(caller.labels.submit({ labels: [{ clientId: 'z', releaseId: 13, keeper: true, labelledAt: 'yesterday' }] }));
    expect(badDate.code).toBe('BAD_REQUEST');
    expect(badDate.message).toMatch(/labels\[0\]\.labelledAt/);
  });

  it('samples distinct unlabelled records without a full-table sort', async () => {
    await caller.records.upsert({ records: syntheticReleases(300, 1000) });
    const labelled = new Set((await app.db.all<{ release_id: number }>('SELECT release_id FROM labels')).map((r) => r.release_id));
    const total = (await app.db.get<{ n: number }>('SELECT count(*) AS n FROM records'))!.n;
    const sample = await sampleUnlabelled(app.db, 100, mulberry32(3));
    expect(sample).toHaveLength(100);
    expect(new Set(sample.map((r) => r.id)).size).toBe(100);
    expect(sample.some((r) => labelled.has(r.id))).toBe(false);
    // Asking for more than there is returns every unlabelled record once.
    const everything = await sampleUnlabelled(app.db, 10_000, mulberry32(4));
    expect(everything).toHaveLength(total - labelled.size);
    // Different seeds give different pools (it samples, it does not read the table in order).
    const other = await sampleUnlabelled(app.db, 100, mulberry32(5));
    expect(other.map((r) => r.id)).not.toEqual(sample.map((r) => r.id));
    const plan = await app.db.all<{ detail: string }>(
      'EXPLAIN QUERY PLAN SELECT id FROM records WHERE sample_key >= 0.5 AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.release_id = records.id) ORDER BY sample_key LIMIT 10',
    );
    expect(plan.map((p) => p.detail).join(' | ')).toMatch(/USING (COVERING )?INDEX records_sample_key/);
    expect(plan.map((p) => p.detail).join(' | ')).not.toMatch(/TEMP B-TREE/);
  });

  it('imports a CSV export resumably, skipping bad rows with their line numbers', async () => {
    const file = path.join(t.dir, 'bad.csv');
    copyFileSync(path.join(FIXTURES, 'collection-bad-rows.csv'), file);
    const sink = await createImportSink(app.db, file, { asKeepers: true });
    const result = await importFile(file, sink, { chunkSize: 2 });
    await sink.finish('done', { format: result.format, problems: result.problems.length });
    expect(result.records).toBe(3);
    expect(result.problems.map((p) => p.line)).toEqual([3, 5]);
    expect(result.problems[0]!.message).toMatch(/release/i);
    const labels = await app.db.all<{ client_id: string; source: string; keeper: number }>("SELECT client_id, source, keeper FROM labels WHERE source = 'import'");
    expect(labels).toHaveLength(3);
    expect(labels.every((l) => l.keeper === 1)).toBe(true);
    const job = await app.db.get<{ records_done: number; status: string }>('SELECT records_done, status FROM import_jobs WHERE fingerprint = ?', [sink.fingerprint]);
    expect(job).toEqual({ records_done: 3, status: 'done' });
    // Running the same import again resumes after everything: nothing is added twice.
    const again = await createImportSink(app.db, file, { asKeepers: true });
    const second = await importFile(file, again, { chunkSize: 2 });
    expect(second.resumedFrom).toBe(3);
    expect((await app.db.get<{ n: number }>("SELECT count(*) AS n FROM labels WHERE source = 'import'"))!.n).toBe(3);
  });

  it('keeps whole chunks only when a chunk write fails', async () => {
    const file = path.join(t.dir, 'c.csv');
    copyFileSync(path.join(FIXTURES, 'collection.csv'), file);
    const sink = await createImportSink(app.db, file, { kind: 'wantlist' });
    let calls = 0;
    const failing = {
      resumeFrom: () => sink.resumeFrom(),
      writeChunk: async (items: Parameters<typeof sink.writeChunk>[0], cp: { recordsDone: number }) => {
        if (++calls === 3) {
          // Make the third chunk fail inside its transaction (after its records were written).
          await app.db.exec('CREATE TRIGGER fail_list BEFORE INSERT ON list_items BEGIN SELECT RAISE(ABORT, \'disk on fire\'); END');
        }
        await sink.writeChunk(items, cp);
      },
    };
    const fixtureRecords = async () => (await app.db.get<{ n: number }>('SELECT count(*) AS n FROM records WHERE id BETWEEN 9000000 AND 9001000'))!.n;
    // The earlier test imported 3 of these 24 records (all among the first 10).
    expect(await fixtureRecords()).toBe(3);
    await expect(importFile(file, failing, { chunkSize: 5 })).rejects.toThrow(/disk on fire/);
    await app.db.exec('DROP TRIGGER fail_list');
    // Chunks 1 and 2 are committed with their checkpoint; chunk 3's records were rolled back with it.
    expect(await fixtureRecords()).toBe(10);
    expect(await sink.resumeFrom()).toBe(10);
    const resumed = await importFile(file, sink, { chunkSize: 5 });
    expect(resumed.resumedFrom).toBe(10);
    expect(await fixtureRecords()).toBe(24);
  });
});
