// Warm start from an imported collection (`keepers import --as-keepers`): the default learner is fitted at
import { makeRelease } from '../fixtures/ml/catalogue';
import { UNLABELLED_SHARE } from '../../shared/bandit';
import { DEFAULT_POSTERIOR } from '../../shared/model';
// once (the keepers against unlabelled records, positive–unlabelled), and what it learns is the taste,
// not where a record came from. Imported records are enriched by richer sources, never erased by poorer ones.
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createImportSink } from '../../backend/records';
import { importFile } from '../../shared/import';
import { upsertReleases } from '../../backend/records';
import { getArtifacts, getBanditState } from '../../backend/models';
import { selectBatch } from '../../backend/bandit/selection';
import { predictReleases } from '../../backend/bandit/scoring';
import type { App } from '../../backend/app';
import type { Release } from '../../shared/schemas';
import { mulberry32 } from '../../shared/random';
import { callerFor, openApp, syntheticReleases, tempDir } from './helpers';
import { createPairingCode, redeemPairingCode } from '../../backend/auth';

const CSV_HEADER = 'Catalog#,Artist,Title,Label,Format,Rating,Released,release_id,CollectionFolder,Date Added';

function csvRow(r: { id: number; artist: string; title: string; label: string; year: number }, i: number): string {
  return `NJ${i},${r.artist},${r.title},${r.label},"LP, Album",,${r.year},${r.id},Uncategorized,2015-01-${String(1 + (i % 28)).padStart(2, '0')} 12:00:00`;
}

async function importAsKeepers(app: App, file: string): Promise<void> {
  const sink = await createImportSink(app.db, file, { asKeepers: true, kind: 'collection' });
  const result = await importFile(file, sink);
  await sink.finish('done', { format: result.format, problems: result.problemCount });
  expect(result.problems).toEqual([]);
}

// The collector's taste: one small jazz label and its artists. The export (like every Discogs CSV
// export) carries no genres or styles.
const TASTE_LABEL = 'Nightjar Sound';
const TASTE_ARTISTS = ['Ossia Vale', 'Tomas Brandt Quartet', 'Ilse Moor', 'Raun Ekdal', 'The Quiet Harbour Trio'];

function release(partial: Partial<Release> & { id: number }): Release {
  return makeRelease(partial.id, { formats: [{ name: 'Vinyl', qty: 1, descriptions: ['LP', 'Album'] }], ...partial });
}

describe('warm start from an imported collection', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('learns the taste, not "has no genres": the first batch exploits records of the imported taste', async () => {
    const rand = mulberry32(17);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const keepers = Array.from({ length: 30 }, (_, i) => ({ id: 8_000_001 + i, artist: pick(TASTE_ARTISTS), title: `Nightjar Session ${i}`, label: TASTE_LABEL, year: 1966 + Math.floor(rand() * 12) }));
    const csv = path.join(t.dir, 'collection.csv');
    writeFileSync(csv, [CSV_HEADER, ...keepers.map(csvRow), ''].join('\n'));

    // Records to choose from: the same taste WITH genres (the data dump knows them), many records
    // WITHOUT genres that are not the taste (pop records seen on pages, same era and format as the
    // export), and others with genres (jazz among them).
    const tastePool = Array.from({ length: 25 }, (_, i) =>
      release({
        id: 8_100_001 + i,
        title: `Nightjar Unissued ${i}`,
        artists: [pick(TASTE_ARTISTS)],
        labels: [{ name: TASTE_LABEL, catno: `NJ-${100 + i}` }],
        year: 1966 + Math.floor(rand() * 12),
        genres: ['Jazz'],
        styles: [pick(['Modal', 'Free Jazz', 'Hard Bop'])],
        community: { have: 50 + Math.floor(rand() * 400), want: 30 + Math.floor(rand() * 300), rating: null, ratingCount: null },
      }),
    );
    const bare = Array.from({ length: 300 }, (_, i) =>
      release({
        id: 8_200_001 + i,
        title: `Chart Single ${i}`,
        artists: [`Pop Act ${Math.floor(rand() * 120)}`],
        labels: [{ name: pick(['Polychrome', 'Sunburst Records', 'Hitmaker', 'Glow Label']), catno: null }],
        year: 1966 + Math.floor(rand() * 12),
      }),
    );
    const others = syntheticReleases(300, 8_300_001, 23);
    const app = await openApp(path.join(t.dir, 'trap.sqlite'), { autoTrain: false });
    await upsertReleases(app.db, [...tastePool, ...bare, ...others], 'page');
    await importAsKeepers(app, csv);
    const before = await getBanditState(app.db);

    const report = await app.training.warmStart();
    expect(report).toMatchObject({ trained: true, policy: 'neural-ts', labels: 30, imported: 30, unlabelled: 625 });
    const state = await getBanditState(app.db);
    expect(state.activeVersion).not.toBe(before.activeVersion);
    expect(state.batchCount).toBe(0);
    const version = await app.db.get<{ kind: string; parent_version: string }>('SELECT kind, parent_version FROM model_versions WHERE version = ?', [state.activeVersion]);
    expect(version).toEqual({ kind: 'warm-start', parent_version: before.activeVersion });
    // The head keeps every imported keeper and a quarter of its rows for the unlabelled contrast.
    const contrast = Math.min(625, Math.floor(UNLABELLED_SHARE * DEFAULT_POSTERIOR.maxRows));
    expect((await getArtifacts(app.db, state.activeVersion!))!.posterior?.y).toHaveLength(30 + contrast);
    const logged = await app.db.get<{ data_json: string }>("SELECT data_json FROM decision_log WHERE kind = 'warm-start'");
    expect(JSON.parse(logged!.data_json)).toMatchObject({ version: state.activeVersion, imported: 30, unlabelled: 625 });

    // The scores: the taste with genres far above the genre-less records that are not the taste.
    const { model } = await app.models.get();
    const mean = (rs: Release[]) => predictReleases(model, rs).reduce((s, p) => s + p.mean, 0) / rs.length;
    const taste = mean(tastePool);
    const genreless = mean(bare);
    expect(taste).toBeGreaterThan(genreless + 0.2);

    const batch = await selectBatch(app, null, { poolSize: 1000, batchSize: 20 });
    expect(batch.policy).toBe('neural-ts');
    const exploit = batch.items.filter((i) => i.strategy === 'exploit');
    const tasteIds = new Set(tastePool.map((r) => r.id));
    expect(exploit.length).toBeGreaterThanOrEqual(10);
    expect(exploit.filter((i) => !tasteIds.has(i.releaseId))).toEqual([]);
    await app.close();
  });

  it('still fits, and says so, when there is nothing unlabelled to contrast the keepers with', async () => {
    const app = await openApp(path.join(t.dir, 'alone.sqlite'), { autoTrain: false });
    const csv = path.join(t.dir, 'alone.csv');
    writeFileSync(csv, [CSV_HEADER, ...[0, 1, 2].map((i) => csvRow({ id: 8_400_001 + i, artist: 'Ilse Moor', title: `Alone ${i}`, label: TASTE_LABEL, year: 1970 }, i)), ''].join('\n'));
    await importAsKeepers(app, csv);
    const report = await app.training.warmStart();
    expect(report).toMatchObject({ trained: true, labels: 3, imported: 3, unlabelled: 0 });
    const state = await getBanditState(app.db);
    expect((await getArtifacts(app.db, state.activeVersion!))!.posterior?.y).toEqual([1, 1, 1]);
    await app.close();
  });

  it('does not warm start under the seed policy (it learns only from labelled batches)', async () => {
    const app = await openApp(path.join(t.dir, 'seed.sqlite'), { autoTrain: false });
    const { code } = await createPairingCode(app.db);
    const caller = await callerFor(app, (await redeemPairingCode(app.db, code, 't')).token);
    await caller.bandit.setPolicy({ policy: 'seed' });
    const csv = path.join(t.dir, 'seed.csv');
    writeFileSync(csv, [CSV_HEADER, csvRow({ id: 8_500_001, artist: 'Ilse Moor', title: 'One', label: TASTE_LABEL, year: 1970 }, 0), ''].join('\n'));
    await importAsKeepers(app, csv);
    const before = await getBanditState(app.db);
    expect(await app.training.warmStart()).toEqual({ trained: false, policy: 'seed', reason: 'seed-policy' });
    expect((await getBanditState(app.db)).activeVersion).toBe(before.activeVersion);
    await app.close();
  });
});

describe('enrichment of imported records', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('merges genres and styles from a data dump or a page into a CSV record, and a poorer source never erases them', async () => {
    const app = await openApp(path.join(t.dir, 'enrich.sqlite'), { autoTrain: false });
    const { code } = await createPairingCode(app.db);
    const caller = await callerFor(app, (await redeemPairingCode(app.db, code, 't')).token);
    const csv = path.join(t.dir, 'export.csv');
    const rows = [0, 1, 2].map((i) => csvRow({ id: 8_600_001 + i, artist: 'Ossia Vale', title: `Export ${i}`, label: TASTE_LABEL, year: 1971 }, i));
    writeFileSync(csv, [CSV_HEADER, ...rows, ''].join('\n'));
    await importAsKeepers(app, csv);
    let [a, b, c] = await caller.records.byIds({ ids: [8_600_001, 8_600_002, 8_600_003] });
    expect([a!.genres, a!.styles, b!.genres, c!.genres]).toEqual([[], [], [], []]);

    // 1. The data dump (2020 layout) knows 8600001's genres and styles.
    const dump = path.join(t.dir, 'releases.xml');
    writeFileSync(
      dump,
      '<releases>\n<release id="8600001" status="Accepted"><artists><artist><id>1</id><name>Ossia Vale</name></artist></artists><title>Export 0</title>' +
        '<labels><label name="Nightjar Sound" catno="NJ0" id="5"/></labels><formats><format name="Vinyl" qty="1" text=""><descriptions><description>LP</description></descriptions></format></formats>' +
        '<genres><genre>Jazz</genre></genres><styles><style>Modal</style><style>Post Bop</style></styles><country>Norway</country><released>1971-04-00</released></release>\n</releases>\n',
    );
    const sink = await createImportSink(app.db, dump);
    await importFile(dump, sink);
    // 2. A Discogs page shows 8600002 with its genres (and community counts).
    await caller.records.upsert({ records: [release({ id: 8_600_002, title: 'Export 1', artists: ['Ossia Vale'], genres: ['Jazz'], styles: ['Free Jazz'], community: { have: 120, want: 80, rating: null, ratingCount: null } })] });
    [a, b, c] = await caller.records.byIds({ ids: [8_600_001, 8_600_002, 8_600_003] });
    expect(a).toMatchObject({ genres: ['Jazz'], styles: ['Modal', 'Post Bop'], country: 'Norway', labels: [{ name: TASTE_LABEL }] });
    expect(b).toMatchObject({ genres: ['Jazz'], styles: ['Free Jazz'], community: { have: 120, want: 80 } });
    expect(c!.genres).toEqual([]);
    const flags = await app.db.all<{ id: number; has_genres: number }>('SELECT id, has_genres FROM records ORDER BY id');
    expect(flags.map((f) => f.has_genres)).toEqual([1, 1, 0]);

    // 3. Poorer sources later: the same export again (another copy of the file), a page without genres
    // or counts. Nothing known is erased; the keeper labels are still there, once.
    const again = path.join(t.dir, 'export-again.csv');
    writeFileSync(again, [CSV_HEADER, ...rows, ''].join('\n'));
    await importAsKeepers(app, again);
    await caller.records.upsert({ records: [release({ id: 8_600_001, title: 'Export 0', artists: ['Ossia Vale'] }), release({ id: 8_600_002, title: 'Export 1' })] });
    [a, b] = await caller.records.byIds({ ids: [8_600_001, 8_600_002] });
    expect(a).toMatchObject({ genres: ['Jazz'], styles: ['Modal', 'Post Bop'], country: 'Norway' });
    expect(b).toMatchObject({ genres: ['Jazz'], styles: ['Free Jazz'], community: { have: 120, want: 80 } });
    const labels = await app.db.all<{ release_id: number; source: string }>('SELECT release_id, source FROM labels ORDER BY release_id');
    expect(labels).toEqual([8_600_001, 8_600_002, 8_600_003].map((id) => ({ release_id: id, source: 'import' })));
    await app.close();
  });
});
