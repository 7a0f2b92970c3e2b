import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createProgressBar,
  detectFormat,
  formatsFromCsv,
  importFile,
  ImportError,
  labelsFromCsv,
  type ImportProgress,
} from '../../shared/import';
import { REPO_ROOT } from '../helpers/data';
import { MemoryTransactionalSink } from '../fixtures/import/memory-sink';
import { writeSyntheticDump } from '../fixtures/import/synthetic-dump';

const FIX = path.join(REPO_ROOT, 'tests/fixtures/import');
const fixture = (name: string) => path.join(FIX, name);
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'keepers-import-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function gzipCopy(src: string, name: string): Promise<string> {
  const out = path.join(tmp, name);
  await writeFile(out, zlib.gzipSync(await readFile(src)));
  return out;
}

describe('detectFormat', () => {
  it('recognises every supported format by sniffing, gzipped or not', async () => {
    expect(await detectFormat(fixture('collection-export.csv'))).toBe('collection-csv');
    expect(await detectFormat(fixture('collection-page.json'))).toBe('api-json');
    expect(await detectFormat(fixture('wantlist-pages.jsonl'))).toBe('api-json');
    expect(await detectFormat(fixture('releases.jsonl'))).toBe('releases-jsonl');
    expect(await detectFormat(fixture('keepers.jsonl'))).toBe('keepers-jsonl');
    expect(await detectFormat(fixture('releases-2020.xml'))).toBe('dump-xml');
    // The name says nothing: the gzip magic and the '<releases' root decide.
    expect(await detectFormat(await gzipCopy(fixture('releases-2025.xml'), 'dump.bin'))).toBe('dump-xml');
    expect(await detectFormat(await gzipCopy(fixture('collection-export.csv'), 'export.csv.gz'))).toBe('collection-csv');
  });

  it('refuses other dumps, headerless CSV and unknown files with a message naming the file', async () => {
    const artists = path.join(tmp, 'discogs_artists.xml');
    await writeFile(artists, '<artists>\n<artist><id>1</id><name>X</name></artist>\n</artists>\n');
    await expect(detectFormat(artists)).rejects.toThrow(/discogs_artists\.xml: <artists> is not importable/);
    const csv = path.join(tmp, 'prices.csv');
    await writeFile(csv, 'date,price\n2020-01-01,3\n');
    await expect(detectFormat(csv)).rejects.toThrow(/prices\.csv:1: not a Discogs collection export: no release_id column/);
    const txt = path.join(tmp, 'notes.txt');
    await writeFile(txt, 'hello\n');
    await expect(detectFormat(txt)).rejects.toThrow(/notes\.txt: cannot tell the format/);
    await expect(detectFormat(path.join(tmp, 'missing.csv'))).rejects.toThrow(/Cannot read .*missing\.csv: no such file/);
  });
});

describe('collection CSV exports', () => {
  it('imports good rows with their fields and reports bad rows with their lines', async () => {
    const sink = new MemoryTransactionalSink();
    const result = await importFile(fixture('collection-export.csv'), sink);
    expect(result.format).toBe('collection-csv');
    expect(sink.committed.map((i) => [i.line, i.release.id])).toEqual([
      [2, 101],
      [3, 102],
      [6, 104],
      [9, 106],
    ]);
    expect(result.records).toBe(4);
    // The padding row on line 8 is not a problem; the two bad ids are.
    expect(result.problems.map((p) => [p.line, p.message])).toEqual([
      [4, 'no release_id in this row'],
      [5, 'release_id "12abc" is not a positive whole number'],
    ]);
    expect(result.problems.every((p) => p.file === fixture('collection-export.csv'))).toBe(true);
    expect(result.problemCount).toBe(2);

    const capped = await importFile(fixture('collection-export.csv'), new MemoryTransactionalSink(), { maxProblems: 1 });
    expect(capped.problemCount).toBe(2);
    expect(capped.problems.map((p) => [p.line, p.message])).toEqual([
      [4, 'no release_id in this row'],
      [5, '1 more problems not listed'],
    ]);

    const [first, second, multiLine] = sink.committed;
    expect(first?.release).toMatchObject({
      title: 'First Record',
      artists: ['Test Artist'],
      labels: [
        { name: 'Keeper Label', catno: 'KP 001' },
        { name: 'Other Label', catno: 'KPX-1' },
      ],
      year: 1999,
      formats: [{ name: 'Vinyl', qty: 2, descriptions: ['LP', 'Album', 'Ltd'] }],
      genres: [],
      styles: [],
    });
    expect(first).toMatchObject({ listKind: 'collection', dateAdded: '2021-05-01T10:20:30', rating: 4 });
    expect(second?.release.artists).toEqual(['Smith, Jones & Co']);
    expect(second?.release.year).toBeNull();
    expect(second?.release.formats).toEqual([
      { name: 'CD', qty: 1, descriptions: ['Album'] },
      { name: 'DVD', qty: 1, descriptions: ['PAL'] },
    ]);
    expect(second?.rating).toBeNull();
    expect(multiLine?.release).toMatchObject({ title: 'Multi\nLine Title', released: '1975-06', year: 1975 });
    expect(multiLine?.release.formats).toEqual([{ name: 'Vinyl', qty: 1, descriptions: ['7"', 'Single'] }]);
  });

  it('reads an R re-save: renamed headers, index column, NA, day-first dates, CRLF, padding rows', async () => {
    const file = path.join(tmp, 'r-export.csv');
    const rows = [
      ',Catalog.,Artist,Title,Label,Format,Rating,Released,release_id,CollectionFolder,Date.Added,lowest',
      '1,AB 1,First R,Title R1,Label R,"LP, Album",NA,1985,9001,Uncategorized,09/03/2025 05:48,8.14',
      '2,AB 2,Second R,"Title, With Comma",Label R,"12"", Single",NA,NA,9002,Uncategorized,17/02/2025 12:32,NA',
      ',,,,,,,,,,,',
      ',,,,,,,,,,',
      '',
    ];
    await writeFile(file, rows.join('\r\n'));
    const sink = new MemoryTransactionalSink();
    const result = await importFile(file, sink);
    expect(result.problems).toEqual([]);
    expect(sink.committed.map((i) => [i.line, i.release.id, i.dateAdded])).toEqual([
      [2, 9001, '2025-03-09T05:48:00'],
      [3, 9002, '2025-02-17T12:32:00'],
    ]);
    expect(sink.committed[0]?.release.lowestPrice).toBe(8.14);
    expect(sink.committed[0]?.rating).toBeNull();
    expect(sink.committed[1]?.release).toMatchObject({ title: 'Title, With Comma', year: null, lowestPrice: null });
  });

  it('keeps a row with a stray quote; an unclosed quote is reported at its line and the rows before it stay', async () => {
    const file = path.join(tmp, 'broken-quote.csv');
    await writeFile(
      file,
      [
        'Catalog#,Artist,Title,Label,Format,Rating,Released,release_id,Notes',
        'A1,Good,Before,L,LP,,2000,11,',
        'A2,"Stray "quote" here,T,L,LP,,2000,12,',
        'A3,"Unclosed,T,L,LP,,2000,13,',
        'A4,Lost,After,L,LP,,2000,14,',
      ].join('\n') + '\n',
    );
    const sink = new MemoryTransactionalSink();
    const result = await importFile(file, sink);
    expect(sink.committed.map((i) => i.release.id)).toEqual([11, 12]);
    expect(sink.committed[1]?.release.artists).toEqual(['"Stray "quote" here']);
    // No CollectionFolder column: not known to be the collection (a wantlist export looks like this).
    expect(sink.committed[0]?.listKind).toBeNull();
    expect(result.problems).toEqual([
      {
        file,
        line: 4,
        message: 'a quote opened in this row is never closed, so lines 4–5 (the rest of the file) could not be read; the rows before are imported',
      },
    ]);
  });

  it('parses the format and label columns the way Discogs writes them', () => {
    expect(formatsFromCsv('LP, Yel + LP, S/Sided, Etch + Album, Ltd')).toEqual([
      { name: 'Vinyl', qty: 1, descriptions: ['LP', 'Yel'] },
      { name: 'Vinyl', qty: 1, descriptions: ['LP', 'S/Sided', 'Etch', 'Album', 'Ltd'] },
    ]);
    expect(formatsFromCsv('Acetate, 10"')).toEqual([{ name: 'Acetate', qty: 1, descriptions: ['10"'] }]);
    expect(formatsFromCsv('Lathe Cut Thing, Single')).toEqual([{ name: 'Lathe Cut Thing', qty: 1, descriptions: ['Single'] }]);
    expect(formatsFromCsv('3xCD, Comp')).toEqual([{ name: 'CD', qty: 3, descriptions: ['Comp'] }]);
    expect(formatsFromCsv(null)).toEqual([]);
    expect(labelsFromCsv('Capitol Records, Capitol Records', 'E-ST 11728, 0C 062-85 444')).toEqual([
      { name: 'Capitol Records', catno: 'E-ST 11728' },
      { name: 'Capitol Records', catno: '0C 062-85 444' },
    ]);
    // Counts disagree: the whole text stays with the first label rather than being mis-paired.
    expect(labelsFromCsv('A, B', 'X, Y, Z')).toEqual([
      { name: 'A', catno: 'X, Y, Z' },
      { name: 'B', catno: null },
    ]);
    expect(labelsFromCsv('Same, Same', 'C1, C1')).toEqual([{ name: 'Same', catno: 'C1' }]);
  });
});

describe('Discogs API JSON', () => {
  it('imports a collection page and reports a bad item at the line where it starts', async () => {
    const sink = new MemoryTransactionalSink();
    const result = await importFile(fixture('collection-page.json'), sink);
    expect(result.format).toBe('api-json');
    expect(sink.committed.map((i) => [i.line, i.release.id, i.listKind, i.rating])).toEqual([
      [4, 201, 'collection', 3],
      [33, 203, 'collection', null],
    ]);
    expect(sink.committed[0]).toMatchObject({
      dateAdded: '2020-01-02T03:04:05-08:00',
      release: { title: 'Page Record One', artists: ['Page Artist'], masterId: 7001, genres: ['Electronic'], styles: ['Synth-pop'] },
    });
    expect(sink.committed[1]?.release).toMatchObject({ masterId: null, year: null, labels: [{ name: 'Another Label', catno: null }] });
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ line: 22, message: expect.stringContaining('basic_information.id') });
  });

  it('imports wantlist pages written as JSON lines, and an array of pages', async () => {
    const sink = new MemoryTransactionalSink();
    await importFile(fixture('wantlist-pages.jsonl'), sink);
    expect(sink.committed.map((i) => [i.line, i.release.id, i.listKind, i.rating])).toEqual([
      [1, 301, 'wantlist', null],
      [2, 302, 'wantlist', 5],
    ]);

    const pages = (await readFile(fixture('wantlist-pages.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as unknown);
    const arrayFile = path.join(tmp, 'pages.json');
    await writeFile(arrayFile, JSON.stringify(pages, null, 2));
    const sink2 = new MemoryTransactionalSink();
    const result = await importFile(arrayFile, sink2);
    expect(result.format).toBe('api-json');
    expect(sink2.committed.map((i) => [i.release.id, i.listKind])).toEqual([
      [301, 'wantlist'],
      [302, 'wantlist'],
    ]);
  });

  it('imports /releases/{id} documents as JSON lines; a broken line is a problem with its line number', async () => {
    const sink = new MemoryTransactionalSink();
    const result = await importFile(fixture('releases.jsonl'), sink);
    expect(result.format).toBe('releases-jsonl');
    expect(sink.committed.map((i) => [i.line, i.release.id])).toEqual([
      [1, 401],
      [5, 404],
    ]);
    expect(sink.committed[0]?.release).toMatchObject({
      released: '1995-04',
      country: 'UK',
      styles: ['Shoegaze'],
      community: { have: 120, want: 45, rating: 4.2, ratingCount: 10 },
      lowestPrice: 12.5,
    });
    expect(result.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(result.problems[0]?.message).toMatch(/^invalid JSON line: /);
    expect(result.problems[1]?.message).toMatch(/id: required/);
  });

  it('fails readably on a single document that is not valid JSON, naming its line, and writes nothing', async () => {
    const file = path.join(tmp, 'broken.json');
    await writeFile(file, '{\n  "releases": [\n    { "id": 1, },\n  ]\n}\n');
    const sink = new MemoryTransactionalSink();
    await expect(importFile(file, sink, { format: 'api-json' })).rejects.toThrow(/broken\.json:3: invalid JSON/);
    expect(sink.committed).toEqual([]);
  });
});

describe('keepers JSON lines', () => {
  it('imports normalised collection lines, optionally for one user only', async () => {
    const all = new MemoryTransactionalSink();
    const result = await importFile(fixture('keepers.jsonl'), all);
    expect(result.format).toBe('keepers-jsonl');
    expect(all.committed.map((i) => [i.release.id, i.listKind])).toEqual([
      [501, 'collection'],
      [502, 'wantlist'],
      [503, 'wantlist'],
    ]);
    expect(result.problems).toEqual([{ file: fixture('keepers.jsonl'), line: 4, message: expect.stringMatching(/no release_id/) }]);

    const alice = new MemoryTransactionalSink();
    await importFile(fixture('keepers.jsonl'), alice, { user: 'alice' });
    expect(alice.committed.map((i) => i.release.id)).toEqual([501, 503]);
    expect(alice.committed[0]).toMatchObject({ rating: 4, dateAdded: '2020-05-05T00:00:00Z', release: { styles: ['Indie Rock'] } });
  });
});

describe('releases data dump XML', () => {
  it('reads the 2020 layout: top-level fields only, malformed and id-less releases reported with their lines', async () => {
    const sink = new MemoryTransactionalSink();
    const result = await importFile(fixture('releases-2020.xml'), sink);
    expect(result.format).toBe('dump-xml');
    expect(sink.committed.map((i) => [i.line, i.release.id])).toEqual([
      [2, 601],
      [5, 604],
    ]);
    expect(sink.committed[0]?.release).toEqual({
      id: 601,
      masterId: 701,
      title: 'Dump Record',
      artists: ['Dump Artist'],
      labels: [{ name: 'Dump Label', catno: 'DMP 1' }],
      year: 1999,
      released: '1999-03',
      country: 'Sweden',
      genres: ['Electronic'],
      styles: ['Deep House', 'Techno'],
      formats: [{ name: 'Vinyl', qty: 2, descriptions: ['12"', '33 ⅓ RPM'] }],
      community: { have: null, want: null, rating: null, ratingCount: null },
      lowestPrice: null,
      thumb: null,
    });
    expect(sink.committed[1]?.release).toMatchObject({
      title: 'Fourth & Last',
      artists: ['Fourth Dump Artist', 'Guest'],
      labels: [{ name: 'Lbl Four', catno: null }],
      masterId: null,
      year: 2004,
      styles: [],
    });
    expect(result.problems.map((p) => [p.line, p.message.slice(0, 40)])).toEqual([
      [3, 'malformed <release id="602"> element: 3:'],
      [4, '<release> without an id attribute'],
    ]);
  });

  it('reads the 2025 layout, gzipped, and reports progress in compressed bytes', async () => {
    const gz = await gzipCopy(fixture('releases-2025.xml'), 'releases-2025.xml.gz');
    const sink = new MemoryTransactionalSink();
    const seen: ImportProgress[] = [];
    const result = await importFile(gz, sink, { onProgress: (p) => seen.push(p) });
    expect(result.problems).toEqual([]);
    expect(sink.committed.map((i) => i.release)).toMatchObject([
      { id: 801, title: 'Modern Release', masterId: 18080, released: '1990-03-20', labels: [{ name: 'Modern Label' }, { name: 'Other Modern' }] },
      { id: 802, genres: ['Rock', 'Pop'], released: '1985', year: 1985, country: null },
    ]);
    const last = seen[seen.length - 1];
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(gz));
    expect(last).toEqual({ bytesRead: size, totalBytes: size, records: 2, problems: 0, done: true });
  });

  it('reports a plain XML file cut in the middle of a release and keeps the releases before it', async () => {
    const text = await readFile(fixture('releases-2025.xml'), 'utf8');
    const file = path.join(tmp, 'cut.xml');
    await writeFile(file, text.slice(0, text.indexOf('<title>Second Modern')));
    const sink = new MemoryTransactionalSink();
    const result = await importFile(file, sink);
    expect(sink.committed.map((i) => i.release.id)).toEqual([801]);
    expect(result.problems).toEqual([{ file, line: 4, message: 'the file ends inside <release id="802"> (truncated?)' }]);
  });
});

describe('chunks, checkpoints and failures', () => {
  let dump: string;
  beforeAll(async () => {
    dump = path.join(tmp, 'synthetic-300.xml.gz');
    await writeSyntheticDump(dump, 300, { gzip: true });
  });

  it('writes whole chunks with their checkpoint, and resumes after an interrupted run without duplicates', async () => {
    const sink = new MemoryTransactionalSink();
    sink.failOnChunk = 4;
    await expect(importFile(dump, sink, { chunkSize: 50 })).rejects.toThrow(/disk full while writing chunk 4/);
    // Chunks 1–3 committed, chunk 4 rolled back, nothing of it half-written.
    expect(sink.committed.map((i) => i.release.id)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
    expect(sink.checkpoint).toBe(150);

    sink.failOnChunk = null;
    const result = await importFile(dump, sink, { chunkSize: 50 });
    expect(result).toMatchObject({ records: 300, resumedFrom: 150, format: 'dump-xml', problems: [] });
    expect(sink.committed.map((i) => i.release.id)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(sink.checkpoint).toBe(300);
  });

  it('throws a readable error on a truncated gzip file after the committed chunks, never a partial chunk', async () => {
    const bytes = await readFile(dump);
    const cut = path.join(tmp, 'cut.xml.gz');
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const sink = new MemoryTransactionalSink();
    const error = await importFile(cut, sink, { chunkSize: 40 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportError);
    expect((error as Error).message).toMatch(/cut\.xml\.gz: the gzip data is truncated or corrupt/);
    expect(sink.committed.length).toBeGreaterThan(0);
    expect(sink.chunkSizes.every((n) => n === 40)).toBe(true);
    expect(sink.checkpoint).toBe(sink.committed.length);
    expect(sink.committed.map((i) => i.release.id)).toEqual(Array.from({ length: sink.committed.length }, (_, i) => i + 1));
  });

  it('throws a readable error for a missing file and writes nothing', async () => {
    const sink = new MemoryTransactionalSink();
    await expect(importFile(path.join(tmp, 'nope.csv'), sink, { format: 'collection-csv' })).rejects.toThrow(
      /Cannot read .*nope\.csv: no such file/,
    );
    expect(sink.committed).toEqual([]);
  });

  it('stops on abort: committed chunks stay, the rest is not written', async () => {
    const sink = new MemoryTransactionalSink();
    const controller = new AbortController();
    const origWrite = sink.writeChunk.bind(sink);
    sink.writeChunk = async (items, cp) => {
      await origWrite(items, cp);
      if (sink.chunkSizes.length === 2) controller.abort(new Error('user pressed Ctrl-C'));
    };
    await expect(importFile(dump, sink, { chunkSize: 25, signal: controller.signal })).rejects.toThrow('user pressed Ctrl-C');
    expect(sink.committed).toHaveLength(50);
    expect(sink.checkpoint).toBe(50);
  });

  it('rejects a checkpoint larger than the file (the file changed since the interrupted run)', async () => {
    const sink = new MemoryTransactionalSink();
    sink.checkpoint = 5000;
    await expect(importFile(dump, sink)).rejects.toThrow(/committed 5000 records but the file now holds 300/);
    expect(sink.committed).toEqual([]);
  });
});

describe('createProgressBar', () => {
  function collector(isTTY: boolean) {
    const out: string[] = [];
    const stream = Object.assign(
      new Writable({
        write(chunk: Buffer, _enc, done) {
          out.push(chunk.toString());
          done();
        },
      }),
      { isTTY },
    );
    return { out, stream };
  }

  it('prints percent, records, rate and problems; one line per 10 % in logs and a final line', () => {
    const { out, stream } = collector(false);
    let now = 0;
    const bar = createProgressBar(stream, 'import', () => now);
    for (let i = 1; i <= 20; i++) {
      now = i * 100;
      bar({ bytesRead: i * 50, totalBytes: 1000, records: i * 10, problems: i === 20 ? 1 : 0 });
    }
    bar({ bytesRead: 1000, totalBytes: 1000, records: 200, problems: 1, done: true });
    expect(out).toHaveLength(11);
    expect(out[0]).toBe('import   5.0% | 10 records | 100/s | 0 problems\n');
    expect(out[out.length - 1]).toBe('import 100.0% | 200 records | 100/s | 1 problem\n');
  });

  it('redraws one line on a terminal and ends it when done', () => {
    const { out, stream } = collector(true);
    let now = 0;
    const bar = createProgressBar(stream, 'dump', () => now);
    bar({ bytesRead: 10, totalBytes: 100, records: 5, problems: 0 });
    now = 50; // too soon to redraw
    bar({ bytesRead: 20, totalBytes: 100, records: 9, problems: 0 });
    now = 2000;
    bar({ bytesRead: 100, totalBytes: 100, records: 4000, problems: 2, done: true });
    expect(out).toEqual([
      '\rdump  10.0% | 5 records | 0/s | 0 problems\u001b[K',
      '\rdump 100.0% | 4,000 records | 2,000/s | 2 problems\u001b[K\n',
    ]);
  });
});
