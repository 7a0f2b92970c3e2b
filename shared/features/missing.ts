// Missing fields must not give the label away. A Discogs collection CSV export has no genres or
// styles, so imported keepers lack them while the records labelled in the popup have them: a model
// trained on both learns "no genres = keeper" (held-out AUC 0.94 from missingness alone) and then
// recommends genre-less records. balanceMissingFields makes the training rows of both classes miss
// each field group equally often, by masking the group (exactly as the encoder sees a missing field)
// in randomly chosen rows of the class where it is present more often.
import { NAME_LENGTH } from './chars';
import { NUMERIC_COUNT, NUMERIC_FEATURES, type NumericFeature } from './numeric';
import type { EncodedReleases } from './index';

/** Field groups that a record may miss as a whole; each is masked as a unit. */
export const FIELD_GROUPS = ['artist', 'label', 'genres', 'styles', 'date', 'community', 'rating', 'price', 'formats', 'country'] as const;
export type FieldGroup = (typeof FIELD_GROUPS)[number];

const column = (name: NumericFeature): number => NUMERIC_FEATURES.indexOf(name);
const FORMAT_COLUMNS = NUMERIC_FEATURES.slice(column('formatKnown'), column('multiDisc') + 1);

/** The "known" flag that says the group is present, and every numeric column that is 0 when it is missing. */
const NUMERIC_OF: Record<FieldGroup, { known: NumericFeature; columns: readonly NumericFeature[] }> = {
  artist: { known: 'artistKnown', columns: ['artistKnown', 'variousArtists'] },
  label: { known: 'labelKnown', columns: ['labelKnown'] },
  genres: { known: 'genresKnown', columns: ['genresKnown'] },
  styles: { known: 'stylesKnown', columns: ['stylesKnown'] },
  date: {
    known: 'yearKnown',
    columns: ['yearKnown', 'yearLinear', 'yearInDecadeSin', 'yearInDecadeCos', 'decadeInCenturySin', 'decadeInCenturyCos', 'monthKnown', 'monthSin', 'monthCos'],
  },
  community: { known: 'communityKnown', columns: ['communityKnown', 'logHave', 'logWant', 'wantOverHave'] },
  rating: { known: 'ratingKnown', columns: ['ratingKnown', 'rating', 'logRatingCount'] },
  price: { known: 'priceKnown', columns: ['priceKnown', 'logPrice'] },
  formats: { known: 'formatKnown', columns: FORMAT_COLUMNS },
  country: { known: 'countryKnown', columns: ['countryKnown'] },
};
const COLUMNS_OF = Object.fromEntries(
  FIELD_GROUPS.map((g) => [g, { known: column(NUMERIC_OF[g].known), columns: NUMERIC_OF[g].columns.map(column) }]),
) as Record<FieldGroup, { known: number; columns: number[] }>;

/** Whether row `row` of `enc` has the field group (its "known" flag). */
export function fieldPresent(enc: EncodedReleases, row: number, group: FieldGroup): boolean {
  return enc.numeric[row * NUMERIC_COUNT + COLUMNS_OF[group].known] !== 0;
}

/**
 * Sets the group to missing in row `row`, in place, exactly as encodeReleases encodes a record without
 * it: padding char ids and bucket 0 for a name, padding ids for genres / styles, 0 for its numeric
 * columns and its "known" flag. (The date group is the year and the month together; `identity`, the
 * Bayesian head's keys, is left alone: the encoder does not read it.)
 */
export function maskField(enc: EncodedReleases, row: number, group: FieldGroup): void {
  for (const c of COLUMNS_OF[group].columns) enc.numeric[row * NUMERIC_COUNT + c] = 0;
  if (group === 'artist') {
    enc.artistChars.fill(0, row * NAME_LENGTH, (row + 1) * NAME_LENGTH);
    enc.artistHash[row] = 0;
  } else if (group === 'label') {
    enc.labelChars.fill(0, row * NAME_LENGTH, (row + 1) * NAME_LENGTH);
    enc.labelHash[row] = 0;
  } else if (group === 'genres') {
    const w = enc.genreIds.length / enc.count;
    enc.genreIds.fill(0, row * w, (row + 1) * w);
  } else if (group === 'styles') {
    const w = enc.styleIds.length / enc.count;
    enc.styleIds.fill(0, row * w, (row + 1) * w);
  }
}

export interface MissingBalance {
  /** The balanced rows: `enc` itself when nothing had to be masked, else a masked copy. */
  enc: EncodedReleases;
  /** Rows masked per group. */
  masked: Record<FieldGroup, number>;
}

/**
 * Masks field groups so that, over the rows of known class, keepers and non-keepers miss each group
 * equally often. `classes[i]` is 1 (keeper), 0 (not a keeper) or NaN (unknown: left alone, not counted).
 * For each group, with missing rates m₁ (keepers) and m₀ (others): when m₁ > m₀, the first
 * round(m₁·n₀) − (missing non-keepers) non-keeper rows that have it are masked, and symmetrically.
 * "First" in one random order of the rows per class (from `rng`), shared by all groups, so fields that
 * are missing together in one class (an import lacks genres and styles) are masked together in the
 * other, and the joint pattern matches as well as the single rates.
 */
export function balanceMissingFields(enc: EncodedReleases, classes: ArrayLike<number>, rng: () => number): MissingBalance {
  if (classes.length !== enc.count) throw new Error(`balanceMissingFields: ${classes.length} classes for ${enc.count} rows`);
  const masked = Object.fromEntries(FIELD_GROUPS.map((g) => [g, 0])) as Record<FieldGroup, number>;
  const rows: [number[], number[]] = [[], []];
  for (let i = 0; i < enc.count; i++) {
    const c = classes[i]!;
    if (c === 0 || c === 1) rows[c].push(i);
  }
  if (rows[0].length === 0 || rows[1].length === 0) return { enc, masked };
  for (const list of rows) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
  }
  let out: EncodedReleases | null = null;
  for (const group of FIELD_GROUPS) {
    const missing = rows.map((list) => list.reduce((n, r) => n + (fieldPresent(enc, r, group) ? 0 : 1), 0));
    const rate = [missing[0]! / rows[0].length, missing[1]! / rows[1].length];
    if (rate[0] === rate[1]) continue;
    // The class that misses the group less often gets masked up to the other class's rate.
    const target = rate[0]! < rate[1]! ? 0 : 1;
    let toMask = Math.round(rate[1 - target]! * rows[target].length) - missing[target]!;
    if (toMask <= 0) continue;
    out ??= copyOf(enc);
    for (const r of rows[target]) {
      if (toMask === 0) break;
      if (!fieldPresent(out, r, group)) continue;
      maskField(out, r, group);
      masked[group]++;
      toMask--;
    }
  }
  return { enc: out ?? enc, masked };
}

function copyOf(enc: EncodedReleases): EncodedReleases {
  return {
    ...enc,
    releaseIds: [...enc.releaseIds],
    artistChars: enc.artistChars.slice(),
    labelChars: enc.labelChars.slice(),
    genreIds: enc.genreIds.slice(),
    styleIds: enc.styleIds.slice(),
    numeric: enc.numeric.slice(),
    artistHash: enc.artistHash.slice(),
    labelHash: enc.labelHash.slice(),
    identity: [...enc.identity],
  };
}
