import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  KeeperLabelSchema,
  ReleaseParseError,
  ReleaseSchema,
  SelectionItemSchema,
  cleanName,
  formatZodError,
  parseRelease,
  releaseFromApiRelease,
  releaseFromBasicInformation,
  releaseFromPoolRecord,
  type Release,
} from '../../shared/schemas';
import { REPO_ROOT, dataPath, hasData } from '../helpers/data';

const FIXTURES = path.join(REPO_ROOT, 'tests/fixtures/schemas');

function jsonLines(file: string): unknown[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as unknown;
      } catch (err) {
        throw new Error(`${file}:${i + 1}: ${(err as Error).message}`);
      }
    });
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error, got none');
}

describe('cleanName', () => {
  it('drops disambiguation suffixes and ANV stars, keeps stars inside names', () => {
    expect(cleanName('Ferro Quartet (2)')).toBe('Ferro Quartet');
    expect(cleanName(' Mira Volt* ')).toBe('Mira Volt');
    expect(cleanName('Someone (12)*')).toBe('Someone');
    expect(cleanName('Someone* (3)')).toBe('Someone');
    expect(cleanName('N*E*R*D')).toBe('N*E*R*D');
    expect(cleanName('(2)')).toBe('(2)');
    expect(cleanName('Love (Band) Story')).toBe('Love (Band) Story');
  });
});

describe('releaseFromPoolRecord on own fixtures', () => {
  const records = jsonLines(path.join(FIXTURES, 'pool-records.jsonl')).map(releaseFromPoolRecord);

  it('maps fields, removes suffixes and master id 0', () => {
    const r = records[0]!;
    expect(r).toMatchObject({ id: 101, masterId: null, title: 'Night Harbour', artists: ['Ferro Quartet'], year: 1971 });
    expect(r.labels).toEqual([{ name: 'Blue Pier', catno: null }]);
    expect(r.formats).toEqual([{ name: 'Vinyl', qty: 1, descriptions: [] }]);
    expect(r.community).toEqual({ have: null, want: null, rating: null, ratingCount: null });
  });

  it('coerces numbers given as text and keeps genre casing as given', () => {
    const r = records[1]!;
    expect(r.title).toBe('1999');
    expect(r.year).toBe(1999);
    expect(r.masterId).toBe(5550);
    expect(r.community).toEqual({ have: 812, want: 97, rating: 4.3, ratingCount: null });
    expect(r.genres).toEqual(['electronic']);
    expect(r.artists).toEqual(['Mira Volt']);
    expect(r.country).toBe('UK');
    // One catalogue number per label, "none" meaning no number; descriptions go with the first format.
    expect(r.labels).toEqual([
      { name: 'Kettle Records', catno: 'KR-7' },
      { name: 'Side Door', catno: null },
    ]);
    expect(r.formats).toEqual([
      { name: 'Vinyl', qty: 1, descriptions: ['LP', 'Album'] },
      { name: 'CD', qty: 1, descriptions: [] },
    ]);
  });

  it('turns year 0 into null, numeric titles into text and missing lists into []', () => {
    const r = records[2]!;
    expect(r.year).toBeNull();
    expect(r.title).toBe('1984');
    expect(r.styles).toEqual([]);
    expect(r.formats).toEqual([]);
    expect(records[3]!.artists).toEqual(['N*E*R*D', 'Someone']);
  });
});

describe('API and collection adapters on own fixtures', () => {
  it('reads a /releases/{id} document', () => {
    const r = releaseFromApiRelease(JSON.parse(readFileSync(path.join(FIXTURES, 'api-release.json'), 'utf8')));
    expect(r).toMatchObject({
      id: 9001,
      masterId: 4400,
      year: null,
      released: '1976-03',
      country: 'Germany',
      artists: ['Anna Lind', 'Delta Ensemble'],
      labels: [{ name: 'Nordwind', catno: 'NW 1003' }],
      formats: [{ name: 'Vinyl', qty: 2, descriptions: ['LP', 'Album', 'Gatefold'] }],
      community: { have: 310, want: 125, rating: 4.25, ratingCount: 12 },
      lowestPrice: 18.5,
      thumb: null,
    });
  });

  it('treats an average over zero votes as no rating', () => {
    const r = releaseFromApiRelease({ id: 3, title: 't', community: { have: 1, want: 0, rating: { count: 0, average: 0 } } });
    expect(r.community).toEqual({ have: 1, want: 0, rating: null, ratingCount: 0 });
  });

  it('reads collection page items with basic_information', () => {
    const page = JSON.parse(readFileSync(path.join(FIXTURES, 'collection-page.json'), 'utf8')) as { releases: unknown[] };
    const [a, b] = page.releases.map(releaseFromBasicInformation) as [Release, Release];
    expect(a).toMatchObject({ id: 5001, masterId: null, artists: ['The Quiet Rooms'], year: 2019, styles: ['Indie Rock', 'Shoegaze'] });
    // A label object without a name carries nothing the product can show: it is dropped, the rest kept.
    expect(a.labels).toEqual([{ name: 'Small Hours', catno: 'SH001' }]);
    expect(a.thumb).toBe('https://example.invalid/t/5001.jpg');
    expect(b).toMatchObject({ id: 5002, masterId: 812, year: 2001, styles: [], labels: [{ name: 'Lift Music', catno: '4411' }] });
    expect(b.formats).toEqual([{ name: 'CD', qty: 1, descriptions: [] }]);
  });

  it('rejects an item without basic_information', () => {
    expect(errorOf(() => releaseFromBasicInformation({ id: 5 }))).toMatch(/basic_information: expected an object, got nothing/);
  });
});

describe('garbage is rejected with the field path named', () => {
  const garbage = jsonLines(path.join(FIXTURES, 'garbage.jsonl'));
  const expected: RegExp[] = [
    /^Invalid pool record: release_id: required/,
    /release_id: expected a positive integer, got -5/,
    /release_id: expected a positive integer, got "abc"/,
    /release_id: expected a positive integer, got 12\.5/,
    /title: expected text, got an object/,
    /year: expected a year, got "nineteen seventy"/,
    /labels\[0\]\.name: expected text, got a list/,
    /community\.have: expected a non-negative integer, got "lots"/,
  ];

  garbage.forEach((record, i) => {
    it(`line ${i + 1} of garbage.jsonl`, () => {
      expect(() => releaseFromPoolRecord(record)).toThrow(ReleaseParseError);
      expect(errorOf(() => releaseFromPoolRecord(record))).toMatch(expected[i]!);
    });
  });

  it('names every bad field at once, in the product shape for parseRelease', () => {
    const msg = errorOf(() => parseRelease({ id: 0, artists: [{}], formats: [{ name: 'LP', qty: -1 }], released: 'soon' }));
    expect(msg).toContain('id: expected a positive integer, got 0');
    expect(msg).toContain('artists[0]: expected text, got an object');
    expect(msg).toContain('formats[0].qty: expected a non-negative integer, got -1');
    expect(msg).toContain(`released: expected 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD', got "soon"`);
  });

  it('rejects non-objects', () => {
    expect(errorOf(() => parseRelease('12'))).toMatch(/\(root\): expected a release object, got "12"/);
    expect(errorOf(() => releaseFromPoolRecord(null))).toMatch(/pool record: expected an object, got null/);
    expect(errorOf(() => releaseFromApiRelease([1]))).toMatch(/expected an object, got a list/);
  });

  it('formatZodError renders nested paths', () => {
    const r = ReleaseSchema.safeParse({ id: 1, labels: [{ name: 'ok' }, { name: true }] });
    expect(r.success).toBe(false);
    if (!r.success) expect(formatZodError(r.error)).toBe('labels[1].name: expected text, got true');
  });

  it('a parsed release parses again to itself', () => {
    const r = releaseFromApiRelease(JSON.parse(readFileSync(path.join(FIXTURES, 'api-release.json'), 'utf8')));
    expect(parseRelease(r)).toEqual(r);
  });
});

describe('label and selection schemas', () => {
  it('accepts a label with an ISO time and rejects a bad one with the path', () => {
    expect(KeeperLabelSchema.parse({ clientId: 'c-1', releaseId: 5, keeper: true, labelledAt: '2026-11-26T23:00:00.000Z' })).toMatchObject({ releaseId: 5 });
    const bad = KeeperLabelSchema.safeParse({ clientId: '', releaseId: 5, keeper: 'yes', labelledAt: 'yesterday' });
    expect(bad.success).toBe(false);
    if (!bad.success) {
      const msg = formatZodError(bad.error);
      expect(msg).toMatch(/clientId:/);
      expect(msg).toMatch(/keeper:/);
      expect(msg).toMatch(/labelledAt:/);
    }
  });

  it('selection items need a known strategy and a propensity in [0, 1]', () => {
    const item = { releaseId: 1, strategy: 'explore', score: 0.2, mean: 0.5, uncertainty: 0.2, propensity: 1 };
    expect(SelectionItemSchema.parse(item)).toEqual(item);
    expect(SelectionItemSchema.safeParse({ ...item, strategy: 'random' }).success).toBe(false);
    expect(SelectionItemSchema.safeParse({ ...item, propensity: 1.5 }).success).toBe(false);
  });
});

describe.skipIf(!hasData)('real Discogs data (../shared/data)', () => {
  for (const file of ['derived/pool.jsonl', 'derived/canonical/pool.jsonl']) {
    it(`every record of ${file} parses`, () => {
      const records = jsonLines(dataPath(file));
      const releases = records.map((r, i) => {
        try {
          return releaseFromPoolRecord(r);
        } catch (err) {
          throw new Error(`${file}:${i + 1}: ${(err as Error).message}`);
        }
      });
      expect(releases.length).toBeGreaterThan(7000);
      expect(releases.every((r) => r.id > 0 && !/\(\d+\)$/.test(r.artists[0] ?? ''))).toBe(true);
    });
  }

  it('every record of derived/collections.jsonl with a release id parses; the others are refused by name', () => {
    const records = jsonLines(dataPath('derived/collections.jsonl')) as Record<string, unknown>[];
    let parsed = 0;
    records.forEach((r, i) => {
      if ('release_id' in r) {
        try {
          releaseFromPoolRecord(r);
          parsed++;
        } catch (err) {
          throw new Error(`collections.jsonl:${i + 1}: ${(err as Error).message}`);
        }
      } else {
        expect(errorOf(() => releaseFromPoolRecord(r))).toMatch(/release_id: required/);
      }
    });
    expect(parsed).toBeGreaterThan(9000);
  });

  it('every /releases/{id} document of the vinyl-showcase fixtures parses', () => {
    const docs = jsonLines(dataPath('sources/jeremiahrappley__vinyl-showcase/data__releases.jsonl'));
    const releases = docs.map((d) => releaseFromApiRelease(d));
    expect(releases.length).toBe(docs.length);
    expect(releases.filter((r) => r.community.have !== null).length).toBeGreaterThan(docs.length / 2);
  });

  it('every collection / wantlist page item with basic_information parses, in every source', () => {
    const sources = dataPath('sources');
    let count = 0;
    const visit = (x: unknown, file: string): void => {
      if (Array.isArray(x)) return x.forEach((y) => visit(y, file));
      if (x === null || typeof x !== 'object') return;
      if ('basic_information' in x) {
        try {
          releaseFromBasicInformation(x);
          count++;
        } catch (err) {
          throw new Error(`${file}: ${(err as Error).message}`);
        }
        return;
      }
      Object.values(x).forEach((v) => visit(v, file));
    };
    for (const dir of readdirSync(sources)) {
      for (const f of readdirSync(path.join(sources, dir)).filter((n) => n.endsWith('.json'))) {
        let doc: unknown;
        try {
          doc = JSON.parse(readFileSync(path.join(sources, dir, f), 'utf8'));
        } catch {
          continue; // not every .json in the sources is valid JSON (e.g. truncated exports): not an API page
        }
        visit(doc, `${dir}/${f}`);
      }
    }
    expect(count).toBeGreaterThan(1000);
  });

  it('client-library /releases/{id} fixtures parse', () => {
    const files = [
      'joalla__discogs_client/discogs_client__tests__res__releases__1.json',
      'joalla__discogs_client/discogs_client__tests__res__releases__79.json',
      'joalla__discogs_client/discogs_client__tests__res__releases__3329867.json',
      'buntine__discogs/spec__samples__valid_release.json',
      'andy-miles__discogs-java-client/src__test__resources__database__Release.json',
      // (jrtibbetts' and maxep's release fixtures are not valid JSON: trailing commas.)
      'bartholomews__discogs4s/modules__core__src__test__resources____files__releases__get-release.json',
    ].map((f) => dataPath('sources', f));
    const present = files.filter((f) => existsSync(f));
    expect(present.length).toBeGreaterThan(0);
    for (const f of present) {
      const r = releaseFromApiRelease(JSON.parse(readFileSync(f, 'utf8')));
      expect(r.id, f).toBeGreaterThan(0);
      expect(r.title.length, f).toBeGreaterThan(0);
    }
  });
});
