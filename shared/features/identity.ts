// Identity keys of a release: who made it, who put it out, what it is filed under and when. The
// Bayesian head (shared/model/posterior.ts) compares records on these directly, beside the encoder's
// learned embedding, so one label of an artist moves that artist's other records as much as in a
// linear model, while the encoder (char-CNN, attention-pooled genres/styles, time) carries over to
// names it has never seen. Keys are 32-bit hashes of the normalised value with a per-group prefix:
// pure, deterministic, identical in Node and in the browser, and nothing is learned or shipped.
import { normaliseName } from './chars';
import { releaseYear } from './numeric';
import { canonicalGenre, canonicalStyle, taxonomyKey } from './taxonomy';
import type { FeatureRelease } from './types';

export const IDENTITY_GROUPS = ['artist', 'label', 'genre', 'style', 'era', 'decade', 'styleEra', 'labelEra'] as const;
export type IdentityGroup = (typeof IDENTITY_GROUPS)[number];

/** Distinct hashed keys per group (sorted, so two records compare by merging). */
export type IdentityKeys = Record<IdentityGroup, Int32Array>;

/** FNV-1a, 32 bits, as a signed int (fits an Int32Array). */
export function hashKey(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h | 0;
}

function keys(prefix: string, values: string[]): Int32Array {
  // Most groups hold no value or one (an era, a decade, one artist): no Set and no sort for those.
  if (values.length === 0) return new Int32Array(0);
  if (values.length === 1) return values[0] === '' ? new Int32Array(0) : Int32Array.of(hashKey(`${prefix}:${values[0]}`));
  const set = new Set<number>();
  for (const v of values) if (v !== '') set.add(hashKey(`${prefix}:${v}`));
  return Int32Array.from([...set].sort((a, b) => a - b));
}

/** Half-decade of release ("1975" for 1975–1979); none when the year is unknown. */
export function eraOf(r: FeatureRelease): string | null {
  const y = releaseYear(r);
  return y === null ? null : String(Math.floor(y / 5) * 5);
}

export function identityKeys(r: FeatureRelease): IdentityKeys {
  const era = eraOf(r);
  const styles = (r.styles ?? []).map((s) => canonicalStyle(s) ?? taxonomyKey(s));
  const labels = (r.labels ?? []).map((l) => normaliseName(l.name ?? ''));
  const decade = era === null ? null : String(Math.floor(Number(era) / 10) * 10);
  return {
    artist: keys('a', (r.artists ?? []).map((a) => normaliseName(a))),
    label: keys('l', labels),
    // Discogs' own terms when known, else the spelling key: "Dub" and "dub" are one style.
    genre: keys('g', (r.genres ?? []).map((g) => canonicalGenre(g) ?? taxonomyKey(g))),
    style: keys('s', styles),
    era: keys('y', era === null ? [] : [era]),
    // Coarser time, and the interactions a collector's taste often has: a style or a label in one era.
    decade: keys('d', decade === null ? [] : [decade]),
    styleEra: keys('se', era === null ? [] : styles.map((s) => `${s}@${era}`)),
    labelEra: keys('le', era === null ? [] : labels.filter((l) => l !== '').map((l) => `${l}@${era}`)),
  };
}

/** Overlap of two sorted key lists, each read as a unit vector with equal weights (cosine). */
export function sortedCosine(a: Int32Array, b: Int32Array): number {
  if (a.length === 0 || b.length === 0) return 0;
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      common++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return common / Math.sqrt(a.length * b.length);
}
