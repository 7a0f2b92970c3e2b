import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CHAR_VOCAB_SIZE,
  FEATURE_SCHEMA_VERSION,
  GENRES,
  MAX_GENRES,
  MAX_STYLES,
  NAME_LENGTH,
  NUMERIC_FEATURES,
  OOV_ID,
  STYLES,
  canonicalGenre,
  canonicalStyle,
  concatEncoded,
  encodeReleases,
  genreId,
  normaliseName,
  sliceEncoded,
  styleId,
  type EncodedReleases,
} from '../../shared/features';
import { releaseFromPoolRecord } from '../../shared/schemas';
import { dataPath, hasData } from '../helpers/data';
import { makeRelease, syntheticCatalogue } from '../fixtures/ml/catalogue';

const col = (name: (typeof NUMERIC_FEATURES)[number]) => NUMERIC_FEATURES.indexOf(name);
const numericRow = (enc: EncodedReleases, row: number) =>
  enc.numeric.subarray(row * NUMERIC_FEATURES.length, (row + 1) * NUMERIC_FEATURES.length);
const chars = (enc: EncodedReleases, row: number, which: 'artistChars' | 'labelChars' = 'artistChars') =>
  Array.from(enc[which].subarray(row * NAME_LENGTH, (row + 1) * NAME_LENGTH));

describe('feature vocabulary', () => {
  it("holds Discogs' 15 genres and its full style list", () => {
    expect(GENRES).toHaveLength(15);
    expect(GENRES).toContain('Folk, World, & Country');
    expect(STYLES.length).toBeGreaterThan(700);
    expect(STYLES).toContain('Deep House');
    expect(FEATURE_SCHEMA_VERSION).toBeGreaterThanOrEqual(1);
  });

  it('normalises case, punctuation and aliases to Discogs spelling', () => {
    expect(canonicalGenre('hip hop')).toBe('Hip Hop');
    expect(canonicalGenre('HIP-HOP')).toBe('Hip Hop');
    expect(canonicalGenre('funk / soul')).toBe('Funk / Soul');
    expect(canonicalGenre('electronica')).toBe('Electronic');
    expect(canonicalGenre('metal')).toBe('Rock');
    expect(canonicalGenre('& Country')).toBe('Folk, World, & Country');
    for (const spelling of ['Rock & Roll', "rock 'n' roll", 'Rock and Roll', 'rock n roll', "Rock'n'Roll"]) {
      expect(canonicalStyle(spelling), spelling).toBe('Rock & Roll');
    }
    expect(canonicalStyle('pop rock')).toBe('Pop Rock');
    expect(canonicalStyle('synth pop')).toBe('Synth-pop');
    expect(canonicalStyle('thrash metal')).toBe('Thrash');
    expect(canonicalStyle('Musique Concrète')).toBe(canonicalStyle('musique concrete'));
    expect(styleId('Hip Hop')).toBe(styleId('hip hop'));
  });

  it('sends unknown terms to the out-of-vocabulary bucket, once per record', () => {
    expect(genreId('Vaporwave Opera')).toBe(OOV_ID);
    expect(styleId('Zydeco Metalcore Fusion')).toBe(OOV_ID);
    const enc = encodeReleases([makeRelease(1, { genres: ['Rock', 'Nonsense'], styles: ['Made Up', 'Also Made Up', 'Punk'] })]);
    expect(Array.from(enc.genreIds)).toEqual([genreId('Rock'), OOV_ID, 0, 0]);
    expect(Array.from(enc.styleIds).slice(0, 3)).toEqual([OOV_ID, styleId('Punk'), 0]);
  });
});

describe('encodeReleases', () => {
  const { releases } = syntheticCatalogue(30, 3);

  it('gives fixed-shape arrays of the documented sizes', () => {
    const enc = encodeReleases(releases);
    expect(enc.count).toBe(30);
    expect(enc.releaseIds).toEqual(releases.map((r) => r.id));
    expect(enc.artistChars).toHaveLength(30 * NAME_LENGTH);
    expect(enc.labelChars).toHaveLength(30 * NAME_LENGTH);
    expect(enc.genreIds).toHaveLength(30 * MAX_GENRES);
    expect(enc.styleIds).toHaveLength(30 * MAX_STYLES);
    expect(enc.numeric).toHaveLength(30 * NUMERIC_FEATURES.length);
    expect(encodeReleases([]).count).toBe(0);
  });

  it('is deterministic and pure', () => {
    const copy = structuredClone(releases);
    const a = encodeReleases(releases);
    const b = encodeReleases(copy);
    expect(b).toEqual(a);
    expect(copy).toEqual(releases);
  });

  it('is Unicode-safe: accents fold, other scripts hash into the vocabulary, long names truncate', () => {
    const enc = encodeReleases([
      makeRelease(1, { artists: ['Björk'], labels: [{ name: 'Modern Folk Üçlüsü', catno: null }] }),
      makeRelease(2, { artists: ['BJORK'], labels: [{ name: 'modern folk uclusu', catno: null }] }),
      makeRelease(3, { artists: ['Кино'] }),
      makeRelease(4, { artists: ['Ноль'] }),
      makeRelease(5, { artists: ['坂本龍一 🎹'] }),
      makeRelease(6, { artists: ['A'.repeat(100)] }),
      makeRelease(7, { artists: [] }),
    ]);
    expect(chars(enc, 0)).toEqual(chars(enc, 1));
    expect(chars(enc, 0, 'labelChars')).toEqual(chars(enc, 1, 'labelChars'));
    expect(normaliseName('Modern Folk Üçlüsü')).toBe('modern folk uclusu');
    expect(normaliseName('Squarepusher (2)')).toBe('squarepusher');
    expect(chars(enc, 2).slice(0, 4).every((id) => id > 0)).toBe(true);
    expect(chars(enc, 2)).not.toEqual(chars(enc, 3));
    expect(chars(enc, 4).filter((id) => id > 0)).toHaveLength(Array.from('坂本龍一 🎹').length);
    expect(chars(enc, 5).every((id) => id === chars(enc, 5)[0] && id > 0)).toBe(true);
    expect(chars(enc, 6).every((id) => id === 0)).toBe(true);
    for (const id of enc.artistChars) expect(id >= 0 && id < CHAR_VOCAB_SIZE).toBe(true);
    expect(numericRow(enc, 6)[col('artistKnown')]).toBe(0);
  });

  it('encodes time cyclically and flags what is missing', () => {
    const enc = encodeReleases([
      makeRelease(1, { year: 1975, released: '1975-04-00' }),
      makeRelease(2, { year: null, released: '1982-07-15' }),
      makeRelease(3, {}),
    ]);
    const a = numericRow(enc, 0);
    expect(a[col('yearKnown')]).toBe(1);
    expect(a[col('yearInDecadeSin')]).toBeCloseTo(Math.sin(Math.PI), 6);
    expect(a[col('yearInDecadeCos')]).toBeCloseTo(-1, 6);
    expect(a[col('decadeInCenturySin')]).toBeCloseTo(Math.sin((2 * Math.PI * 7) / 10), 6);
    expect(a[col('monthKnown')]).toBe(1);
    expect(a[col('monthCos')]).toBeCloseTo(Math.cos((2 * Math.PI * 3) / 12), 6);
    const b = numericRow(enc, 1);
    expect(b[col('yearKnown')]).toBe(1);
    expect(b[col('yearInDecadeCos')]).toBeCloseTo(Math.cos((2 * Math.PI * 2) / 10), 6);
    expect(b[col('monthSin')]).toBeCloseTo(Math.sin((2 * Math.PI * 6) / 12), 6);
    const c = numericRow(enc, 2);
    expect(Array.from(c).every((v) => v === 0)).toBe(true);
  });

  it('normalises community stats and sets format flags', () => {
    const enc = encodeReleases([
      makeRelease(1, {
        formats: [{ name: 'Vinyl', qty: 2, descriptions: ['LP', 'Album', 'Reissue', '180 Gram'] }],
        community: { have: 1000, want: 3000, rating: 4.5, ratingCount: 100 },
        lowestPrice: 25,
      }),
      makeRelease(2, { formats: [{ name: 'CD', qty: 1, descriptions: ['Compilation'] }, { name: 'Box Set', qty: 1, descriptions: [] }] }),
      makeRelease(3, { formats: [{ name: 'Vinyl 12"', qty: 1, descriptions: [] }] }),
    ]);
    const a = numericRow(enc, 0);
    for (const f of ['formatKnown', 'fmtVinyl', 'descLP', 'descAlbum', 'descReissue', 'communityKnown', 'ratingKnown', 'priceKnown'] as const) {
      expect(a[col(f)], f).toBe(1);
    }
    expect(a[col('fmtCD')]).toBe(0);
    expect(a[col('multiDisc')]).toBeCloseTo(1 / 3, 6);
    expect(a[col('rating')]).toBeCloseTo(0.9, 6);
    expect(a[col('logHave')]).toBeCloseTo(Math.log1p(1000) / Math.log1p(100000), 5);
    expect(a[col('wantOverHave')]).toBeGreaterThan(0);
    const b = numericRow(enc, 1);
    expect([b[col('fmtCD')], b[col('fmtBoxSet')], b[col('descCompilation')], b[col('fmtVinyl')]]).toEqual([1, 1, 1, 0]);
    expect(b[col('communityKnown')]).toBe(0);
    const c = numericRow(enc, 2);
    expect([c[col('fmtVinyl')], c[col('desc12inch')]]).toEqual([1, 1]);
  });

  it('rejects a record that is not an object, naming its position', () => {
    expect(() => encodeReleases([makeRelease(1), null as never])).toThrow(/record 1 is null/);
  });

  it('slices and concatenates rows exactly', () => {
    const enc = encodeReleases(releases);
    const parts = [sliceEncoded(enc, [0, 1, 2]), sliceEncoded(enc, Array.from({ length: 27 }, (_, i) => i + 3))];
    expect(concatEncoded(parts)).toEqual(enc);
    const picked = sliceEncoded(enc, [5, 5, 0]);
    expect(picked.releaseIds).toEqual([releases[5]!.id, releases[5]!.id, releases[0]!.id]);
    expect(picked).toEqual(encodeReleases([releases[5]!, releases[5]!, releases[0]!]));
    expect(() => sliceEncoded(enc, [30])).toThrow(/row 30 is outside 0..29/);
  });
});

describe.skipIf(!hasData)('encodeReleases on the real Discogs pools (../shared/data)', () => {
  for (const file of ['derived/pool.jsonl', 'derived/canonical/pool.jsonl']) {
    it(`encodes every record of ${file}`, () => {
      const lines = readFileSync(dataPath(file), 'utf8').split('\n').filter((l) => l.trim() !== '');
      const releases = lines.map((line, i) => {
        try {
          return releaseFromPoolRecord(JSON.parse(line));
        } catch (err) {
          throw new Error(`${file}:${i + 1}: ${(err as Error).message}`);
        }
      });
      const enc = encodeReleases(releases);
      expect(enc.count).toBe(lines.length);
      for (const v of enc.numeric) if (!Number.isFinite(v)) throw new Error(`non-finite numeric feature in ${file}`);
      const styles = Array.from(enc.styleIds).filter((id) => id > 0);
      const oov = styles.filter((id) => id === OOV_ID).length;
      // Real lists are messy (lower-cased, hyphenated, aliases); almost every style must still resolve.
      expect(oov / styles.length).toBeLessThan(0.01);
      const genres = Array.from(enc.genreIds).filter((id) => id > 0);
      expect(genres.filter((id) => id === OOV_ID).length / genres.length).toBeLessThan(0.01);
    });
  }
});
if (!hasData) console.warn('[features.test] ../shared/data is absent: the real-pool encoding tests are skipped');
