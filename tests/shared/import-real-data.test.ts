// The importers on every real raw format in ../shared/data (read at run time, never copied).
// Expected counts and fields come from independent readings of the same files (line counts,
// JSON.parse, the normalised derived/collections.jsonl, the API document of the same release).
import { readFile } from 'node:fs/promises';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectFormat, importFile, ImportError, type ImportedItem } from '../../shared/import';
import { releaseFromApiRelease } from '../../shared/schemas';
import { dataPath, hasData } from '../helpers/data';
import { MemoryTransactionalSink } from '../fixtures/import/memory-sink';

const src = (...parts: string[]) => dataPath('sources', ...parts);

async function importAll(file: string, opts: Parameters<typeof importFile>[2] = {}) {
  const sink = new MemoryTransactionalSink();
  const result = await importFile(file, sink, opts);
  return { ...result, items: sink.committed };
}

interface DerivedLine {
  source?: string;
  user: string;
  kind: string;
  release_id?: number;
  date_added?: string;
}

async function derivedLines(): Promise<DerivedLine[]> {
  const text = await readFile(dataPath('derived/collections.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as DerivedLine);
}

const ids = (items: ImportedItem[]) => items.map((i) => i.release.id);

describe.skipIf(!hasData)('importers on the real Discogs data in ../shared/data', () => {
  it('Discogs own CSV export (russmckendrick): one record per data line, no problems', async () => {
    const file = src('russmckendrick__discogs-scraper/discogs.csv');
    const dataLines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '').length - 1;
    const r = await importAll(file);
    expect(r.format).toBe('collection-csv');
    expect(r.problems).toEqual([]);
    expect(r.items).toHaveLength(dataLines);
    const derived = new Set((await derivedLines()).filter((d) => d.user === 'russmckendrick').map((d) => d.release_id));
    expect(ids(r.items).every((id) => derived.has(id))).toBe(true);
    expect(r.items.every((i) => i.dateAdded !== null && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(i.dateAdded))).toBe(true);
    expect(r.items.filter((i) => i.release.formats.length > 0).length).toBe(r.items.length);
    // "Tool (2)" in the export is the band Tool.
    expect(r.items.some((i) => i.release.artists.includes('Tool'))).toBe(true);
  });

  it('pandas re-save (JELambert) and R re-save (JP-Kelly): same release ids as the normalised data', async () => {
    const derived = await derivedLines();
    for (const [file, user] of [
      [src('JELambert__discographyapp/data__collection.csv'), 'JELambert'],
      [src('JP-Kelly__discogs-vinyl-collection-analysis/data__discogs_export.csv'), 'JP-Kelly'],
    ] as const) {
      const r = await importAll(file);
      expect(r.problems, file).toEqual([]);
      const expected = derived.filter((d) => d.user === user);
      expect(ids(r.items).sort()).toEqual(expected.map((d) => d.release_id).sort());
      if (user === 'JP-Kelly') {
        // Day-first dates ("17/02/2025 12:32"), read independently here.
        for (const d of expected) {
          const m = /^(\d{2})\/(\d{2})\/(\d{4}) (\d{2}):(\d{2})$/.exec(d.date_added ?? '');
          expect(m).not.toBeNull();
          const item = r.items.find((i) => i.release.id === d.release_id);
          expect(item?.dateAdded).toBe(`${m?.[3]}-${m?.[2]}-${m?.[1]}T${m?.[4]}:${m?.[5]}:00`);
          expect(item?.rating).toBeNull(); // "NA"
        }
      }
    }
  });

  it('API collection and wantlist JSON: every item of every page, with its list kind', async () => {
    const cases: [string, 'collection' | 'wantlist'][] = [
      [src('tylergaw__wax/src__data__collection.json'), 'collection'],
      [src('hasykes__vinyl-viewer/collection.json'), 'collection'],
      [src('simonalanjones__discogs/_data__discogs.json'), 'collection'],
      [src('mcbrown84uk__Mcbrown84uk.github.io/data__vinyl.json'), 'collection'],
      [src('bronzehedwick__chrisdeluca/data__discogs.json'), 'collection'],
      [src('Eboreg__recordcollection/discogs.json'), 'collection'],
      [src('jeremiahrappley__vinyl-showcase/data__wantlist.json'), 'wantlist'],
      [src('buntine__discogs/spec__samples__valid_user_collection.json'), 'collection'],
      [src('buntine__discogs/spec__samples__valid_user_wantlist.json'), 'wantlist'],
      [src('andy-miles__discogs-java-client/src__test__resources__collection__GetCollectionItemsResponse.json'), 'collection'],
      [src('andy-miles__discogs-java-client/src__test__resources__userwant__GetWantListResponse.json'), 'wantlist'],
      [src('maxep__DiscogsAPI/Tests__Wantlist__wantlist.json'), 'wantlist'],
      [src('joalla__discogs_client/discogs_client__tests__res__users__example__wants_per_page=50&page=1.json'), 'wantlist'],
    ];
    for (const [file, kind] of cases) {
      const json = JSON.parse(await readFile(file, 'utf8')) as unknown;
      const entries = (Array.isArray(json) ? json : ((json as { releases?: unknown[]; wants?: unknown[] }).releases ?? (json as { wants: unknown[] }).wants)) as {
        basic_information: { id: number };
      }[];
      const r = await importAll(file);
      expect(r.format, file).toBe('api-json');
      expect(r.problems, file).toEqual([]);
      expect(ids(r.items), file).toEqual(entries.map((e) => e.basic_information.id));
      expect(new Set(r.items.map((i) => i.listKind)), file).toEqual(new Set([kind]));
    }
  });

  it('release documents as JSON lines (145 in jeremiahrappley) and single documents of the client libraries', async () => {
    const file = src('jeremiahrappley__vinyl-showcase/data__releases.jsonl');
    const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
    const r = await importAll(file);
    expect(r.format).toBe('releases-jsonl');
    expect(r.problems).toEqual([]);
    expect(ids(r.items)).toEqual(lines.map((l) => (JSON.parse(l) as { id: number }).id));
    expect(r.items.every((i) => i.release.genres.length > 0)).toBe(true);

    for (const name of ['joalla__discogs_client/discogs_client__tests__res__releases__79.json', 'buntine__discogs/spec__samples__valid_release.json']) {
      const doc = JSON.parse(await readFile(src(name), 'utf8')) as { id: number; title: string };
      const one = await importAll(src(name));
      expect(one.items.map((i) => [i.release.id, i.release.title])).toEqual([[doc.id, doc.title]]);
    }
  });

  it('a client-library fixture that is not valid JSON fails with its file and line', async () => {
    const file = src('maxep__DiscogsAPI/Tests__Database__release.json');
    const error = await importAll(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toMatch(/Tests__Database__release\.json:\d+: invalid JSON/);
  });

  it('normalised collections.jsonl with a user filter', async () => {
    const file = dataPath('derived/collections.jsonl');
    expect(await detectFormat(file)).toBe('keepers-jsonl');
    const derived = await derivedLines();
    const r = await importAll(file, { user: 'zapanda' });
    const expected = derived.filter((d) => d.user === 'zapanda');
    expect(ids(r.items)).toEqual(expected.map((d) => d.release_id));
    expect(r.items.filter((i) => i.listKind === 'wantlist')).toHaveLength(expected.filter((d) => d.kind === 'wantlist').length);
    expect(r.problems).toEqual([]);
  });

  it('the 2020 releases dump sample: 1,000 releases, release 1 agrees with its API document', async () => {
    const file = src('philipmat__discogs-xml2db/tests__samples__discogs_20200806_releases.xml.gz');
    const xml = zlib.gunzipSync(await readFile(file)).toString('utf8');
    const r = await importAll(file, { chunkSize: 128 });
    expect(r.format).toBe('dump-xml');
    expect(r.problems).toEqual([]);
    expect(r.items).toHaveLength((xml.match(/<release id="/g) ?? []).length);
    expect(r.items).toHaveLength(1000);
    const dump1 = r.items.find((i) => i.release.id === 1)?.release;
    const api1 = releaseFromApiRelease(JSON.parse(await readFile(src('joalla__discogs_client/discogs_client__tests__res__releases__1.json'), 'utf8')));
    expect(dump1).toMatchObject({
      title: api1.title,
      genres: api1.genres,
      styles: api1.styles,
      country: api1.country,
      year: api1.year,
      labels: api1.labels,
    });
    expect(r.items.every((i) => i.release.title.length > 0 && i.release.artists.length > 0)).toBe(true);
  });

  it('the 2025 dump format (tgmz): gzipped samples and a single-release file', async () => {
    for (const name of [
      'tgmz__de.tgmz.discogs/de.tgmz.discogs__src__test__resources__discogs_releases.xml.gz',
      'tgmz__de.tgmz.discogs/de.tgmz.discogs__src__test__resources__discogs_20250101_releases.xml.gz',
    ]) {
      const xml = zlib.gunzipSync(await readFile(src(name))).toString('utf8');
      const expected = [...xml.matchAll(/<release id="(\d+)"/g)].map((m) => Number(m[1]));
      const r = await importAll(src(name));
      expect(r.problems, name).toEqual([]);
      expect(ids(r.items), name).toEqual(expected);
    }
    const violator = await importAll(src('tgmz__de.tgmz.discogs/de.tgmz.discogs__src__test__resources__Violator__discogs_20250101_releases_Violator.xml'));
    expect(violator.items.map((i) => i.release)).toMatchObject([
      { id: 10222, title: 'Violator', artists: ['Depeche Mode'], genres: ['Electronic'], styles: ['Synth-pop'], released: '1990-03-20' },
    ]);
  });
});
