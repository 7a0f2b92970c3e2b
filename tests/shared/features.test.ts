import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CHAR_VOCAB_SIZE,
  FEATURE_SCHEMA_VERSION,
  FIELD_GROUPS,
  GENRES,
  IDENTITY_BUCKETS,
  MAX_GENRES,
  MAX_STYLES,
  NAME_LENGTH,
  NUMERIC_FEATURES,
  OOV_ID,
  STYLES,
  balanceMissingFields,
  canonicalGenre,
  canonicalStyle,
  concatEncoded,
  encodeReleases,
  fieldPresent,
  genreId,
  maskField,
  normaliseName,
  sliceEncoded,
  styleId,
  type EncodedReleases,
  type FieldGroup,
} from '../../shared/features';
import { mulberry32 } from '../../shared/random';
import type { Release } from '../../shared/schemas';
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
    expect(FEATURE_SCHEMA_VERSION).toBe(2);
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
    expect(enc.artistHash).toHaveLength(30);
    expect(enc.labelHash).toHaveLength(30);
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

describe('identity buckets', () => {
  it('hash the normalised primary artist and label into 1..IDENTITY_BUCKETS-1, 0 when absent', () => {
    const enc = encodeReleases([
      makeRelease(1, { artists: ['Björk', 'Someone Else'], labels: [{ name: 'One Little Indian', catno: null }] }),
      makeRelease(2, { artists: ['BJORK (2)'], labels: [{ name: 'one little  indian', catno: null }] }),
      makeRelease(3, { artists: ['Squarepusher'], labels: [{ name: 'Warp Records', catno: null }] }),
      makeRelease(4, { artists: ['One Little Indian'], labels: [] }),
      makeRelease(5, { artists: ['  '] }),
    ]);
    expect(enc.artistHash[0]).toBe(enc.artistHash[1]);
    expect(enc.labelHash[0]).toBe(enc.labelHash[1]);
    expect(enc.artistHash[2]).not.toBe(enc.artistHash[0]);
    // The same name as an artist and as a label: separate buckets (per-field prefix).
    expect(enc.artistHash[3]).not.toBe(enc.labelHash[0]);
    expect([enc.labelHash[3], enc.artistHash[4], enc.labelHash[4]]).toEqual([0, 0, 0]);
    for (const id of [...enc.artistHash.subarray(0, 4), ...enc.labelHash.subarray(0, 3)]) {
      expect(id >= 1 && id < IDENTITY_BUCKETS).toBe(true);
    }
  });

  it('spread many names over the buckets (few collisions)', () => {
    const names = Array.from({ length: 1000 }, (_, i) => makeRelease(i + 1, { artists: [`Artist ${i}`] }));
    const buckets = new Set(encodeReleases(names).artistHash);
    // 1000 names in 4095 buckets: ~110 collisions expected by chance.
    expect(buckets.size).toBeGreaterThan(850);
  });
});

describe('missing fields', () => {
  const full: Release = makeRelease(1, {
    artists: ['Augustus Pablo'],
    labels: [{ name: 'Rockers International', catno: 'RI 1' }],
    year: 1976,
    released: '1976-03-00',
    country: 'Jamaica',
    genres: ['Reggae'],
    styles: ['Dub', 'Roots Reggae'],
    formats: [{ name: 'Vinyl', qty: 1, descriptions: ['LP', 'Album'] }],
    community: { have: 1200, want: 800, rating: 4.6, ratingCount: 90 },
    lowestPrice: 40,
  });
  const without: Record<FieldGroup, Partial<Release>> = {
    artist: { artists: [] },
    label: { labels: [] },
    genres: { genres: [] },
    styles: { styles: [] },
    date: { year: null, released: null },
    community: { community: { have: null, want: null, rating: 4.6, ratingCount: 90 } },
    rating: { community: { have: 1200, want: 800, rating: null, ratingCount: null } },
    price: { lowestPrice: null },
    formats: { formats: [] },
    country: { country: null },
  };

  it('masks a group exactly as the encoder sees a record without it', () => {
    for (const group of FIELD_GROUPS) {
      const enc = encodeReleases([full]);
      expect(fieldPresent(enc, 0, group), group).toBe(true);
      maskField(enc, 0, group);
      expect(fieldPresent(enc, 0, group), group).toBe(false);
      const expected = encodeReleases([{ ...full, ...without[group] }]);
      // Everything the encoder reads matches (identity keys are the Bayesian head's, left alone).
      expect({ ...enc, identity: null }, group).toEqual({ ...expected, identity: null });
    }
  });

  /** Keepers imported without genres/styles (70%), everything else complete. */
  function trap(n: number, seed: number): { enc: EncodedReleases; classes: Float32Array } {
    const rng = mulberry32(seed);
    const releases: Release[] = [];
    const classes = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const keeper = i % 3 === 0;
      const imported = keeper && rng() < 0.7;
      releases.push({ ...full, id: i + 1, ...(imported ? { genres: [], styles: [], community: { have: null, want: null, rating: null, ratingCount: null } } : {}) });
      classes[i] = keeper ? 1 : 0;
    }
    return { enc: encodeReleases(releases), classes };
  }
  const missingRate = (enc: EncodedReleases, classes: ArrayLike<number>, cls: number, groups: FieldGroup[]) => {
    const rows = Array.from(classes).flatMap((c, i) => (c === cls ? [i] : []));
    return rows.filter((r) => groups.every((g) => !fieldPresent(enc, r, g))).length / rows.length;
  };

  it('balances keepers and non-keepers: every group, and groups missing together, miss equally often', () => {
    const { enc, classes } = trap(300, 1);
    expect(missingRate(enc, classes, 1, ['genres'])).toBeGreaterThan(0.6);
    expect(missingRate(enc, classes, 0, ['genres'])).toBe(0);
    const { enc: out, masked } = balanceMissingFields(enc, classes, mulberry32(7));
    for (const groups of [['genres'], ['styles'], ['community'], ['rating'], ['genres', 'styles', 'community']] as FieldGroup[][]) {
      expect(Math.abs(missingRate(out, classes, 1, groups) - missingRate(out, classes, 0, groups)), groups.join('+')).toBeLessThan(0.01);
    }
    // Only the non-keepers were masked, and only what differed; the input is untouched.
    expect(masked.genres).toBeGreaterThan(0);
    expect(masked.artist + masked.label + masked.date + masked.formats + masked.price + masked.country).toBe(0);
    expect(missingRate(out, classes, 1, ['genres'])).toBe(missingRate(enc, classes, 1, ['genres']));
    expect(missingRate(enc, classes, 0, ['genres'])).toBe(0);
    // Seeded: the same rows for the same seed, other rows for another.
    expect(balanceMissingFields(enc, classes, mulberry32(7)).enc).toEqual(out);
    expect(balanceMissingFields(enc, classes, mulberry32(8)).enc.genreIds).not.toEqual(out.genreIds);
  });

  it('leaves rows of unknown class alone and changes nothing when the rates already match', () => {
    const { enc, classes } = trap(60, 2);
    const unknown = Float32Array.from(classes, (c, i) => (i < 30 ? NaN : c));
    const { enc: out } = balanceMissingFields(enc, unknown, mulberry32(1));
    for (let r = 0; r < 30; r++) expect(fieldPresent(out, r, 'genres')).toBe(fieldPresent(enc, r, 'genres'));
    const complete = encodeReleases(Array.from({ length: 20 }, (_, i) => ({ ...full, id: i + 1 })));
    const same = balanceMissingFields(complete, Float32Array.from({ length: 20 }, (_, i) => i % 2), mulberry32(1));
    expect(same.enc).toBe(complete);
    expect(() => balanceMissingFields(complete, new Float32Array(3), mulberry32(1))).toThrow(/3 classes for 20 rows/);
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
