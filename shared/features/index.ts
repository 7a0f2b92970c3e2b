// Release -> fixed-shape typed arrays, identical in the browser and in Node (pure, deterministic).
// Bump FEATURE_SCHEMA_VERSION whenever an id, a column or a normalisation changes: saved weights
// carry it and loadArtifacts refuses weights built for another schema.
import { NAME_LENGTH, encodeNameInto } from './chars';
import { NUMERIC_COUNT, encodeNumericInto } from './numeric';
import { encodeTermsInto, genreId, styleId } from './taxonomy';
import type { FeatureRelease } from './types';
import { IDENTITY_GROUPS, identityKeys, type IdentityKeys } from './identity';
import { artistBucket, labelBucket } from './buckets';

/** v2: hashed artist / label identity buckets (artistHash, labelHash). */
export const FEATURE_SCHEMA_VERSION = 2;
export { IDENTITY_BUCKETS, artistBucket, labelBucket } from './buckets';
export { FIELD_GROUPS, fieldPresent, maskField, balanceMissingFields, type FieldGroup, type MissingBalance } from './missing';
export { CHAR_VOCAB_SIZE, NAME_LENGTH, normaliseName, CHAR_HASH_BUCKETS } from './chars';
export { NUMERIC_FEATURES, NUMERIC_COUNT, releaseYear, releaseMonth } from './numeric';
export type { NumericFeature } from './numeric';
export {
  GENRES,
  STYLES,
  GENRE_VOCAB_SIZE,
  STYLE_VOCAB_SIZE,
  PAD_ID,
  OOV_ID,
  genreId,
  styleId,
  canonicalGenre,
  canonicalStyle,
  taxonomyKey,
} from './taxonomy';
export type { FeatureRelease } from './types';
export { identityKeys, hashKey, eraOf, IDENTITY_GROUPS, type IdentityKeys, type IdentityGroup } from './identity';

/** Genre / style ids kept per record (Discogs lists up to ~4 genres; 98% of real records have ≤ 8 styles). */
export const MAX_GENRES = 4;
export const MAX_STYLES = 8;

export interface EncodedReleases {
  count: number;
  releaseIds: number[];
  artistChars: Int32Array; // [count * NAME_LENGTH], primary artist
  labelChars: Int32Array; // [count * NAME_LENGTH], primary label
  genreIds: Int32Array; // [count * MAX_GENRES], 0 = padding, 1 = out of vocabulary, 2.. = GENRES[id - 2]
  styleIds: Int32Array; // [count * MAX_STYLES], 0 = padding, 1 = out of vocabulary, 2.. = STYLES[id - 2]
  numeric: Float32Array; // [count * NUMERIC_FEATURES.length]
  /** [count]: bucket of the normalised primary artist name, 1..IDENTITY_BUCKETS-1; 0 = no artist. */
  artistHash: Int32Array;
  /** [count]: bucket of the normalised primary label name, 1..IDENTITY_BUCKETS-1; 0 = no label. */
  labelHash: Int32Array;
  /** Hashed identity keys per record (artist, label, genres, styles, era): the Bayesian head's sparse features. */
  identity: IdentityKeys[];
}

const NO_KEYS = new Int32Array(0);
const NO_IDENTITY: IdentityKeys = Object.freeze(Object.fromEntries(IDENTITY_GROUPS.map((g) => [g, NO_KEYS])) as IdentityKeys);

export function emptyEncoded(count: number): EncodedReleases {
  return {
    count,
    releaseIds: new Array<number>(count).fill(0),
    artistChars: new Int32Array(count * NAME_LENGTH),
    labelChars: new Int32Array(count * NAME_LENGTH),
    genreIds: new Int32Array(count * MAX_GENRES),
    styleIds: new Int32Array(count * MAX_STYLES),
    numeric: new Float32Array(count * NUMERIC_COUNT),
    artistHash: new Int32Array(count),
    labelHash: new Int32Array(count),
    identity: new Array<IdentityKeys>(count).fill(NO_IDENTITY),
  };
}

export function encodeReleases(releases: readonly FeatureRelease[]): EncodedReleases {
  const enc = emptyEncoded(releases.length);
  releases.forEach((r, i) => {
    if (r === null || typeof r !== 'object') {
      throw new Error(`encodeReleases: record ${i} is ${r === null ? 'null' : typeof r}, expected a release`);
    }
    enc.releaseIds[i] = r.id;
    encodeNameInto(r.artists?.[0], enc.artistChars, i * NAME_LENGTH);
    encodeNameInto(r.labels?.[0]?.name, enc.labelChars, i * NAME_LENGTH);
    encodeTermsInto(r.genres ?? [], genreId, MAX_GENRES, enc.genreIds, i * MAX_GENRES);
    encodeTermsInto(r.styles ?? [], styleId, MAX_STYLES, enc.styleIds, i * MAX_STYLES);
    encodeNumericInto(r, enc.numeric, i * NUMERIC_COUNT);
    enc.artistHash[i] = artistBucket(r.artists?.[0]);
    enc.labelHash[i] = labelBucket(r.labels?.[0]?.name);
    enc.identity[i] = identityKeys(r);
  });
  return enc;
}

/** Rows `indices` (in that order, repeats allowed) of `enc`. */
export function sliceEncoded(enc: EncodedReleases, indices: readonly number[]): EncodedReleases {
  const out = emptyEncoded(indices.length);
  indices.forEach((src, dst) => {
    if (!Number.isInteger(src) || src < 0 || src >= enc.count) {
      throw new Error(`sliceEncoded: row ${src} is outside 0..${enc.count - 1}`);
    }
    out.releaseIds[dst] = enc.releaseIds[src]!;
    copyRow(enc.artistChars, out.artistChars, src, dst, NAME_LENGTH);
    copyRow(enc.labelChars, out.labelChars, src, dst, NAME_LENGTH);
    copyRow(enc.genreIds, out.genreIds, src, dst, MAX_GENRES);
    copyRow(enc.styleIds, out.styleIds, src, dst, MAX_STYLES);
    copyRow(enc.numeric, out.numeric, src, dst, NUMERIC_COUNT);
    out.artistHash[dst] = enc.artistHash[src]!;
    out.labelHash[dst] = enc.labelHash[src]!;
    out.identity[dst] = enc.identity[src]!;
  });
  return out;
}

function copyRow<T extends Int32Array | Float32Array>(from: T, to: T, src: number, dst: number, width: number): void {
  to.set(from.subarray(src * width, (src + 1) * width), dst * width);
}

export function concatEncoded(parts: readonly EncodedReleases[]): EncodedReleases {
  const out = emptyEncoded(parts.reduce((n, p) => n + p.count, 0));
  let row = 0;
  for (const p of parts) {
    for (let i = 0; i < p.count; i++) {
      out.releaseIds[row + i] = p.releaseIds[i]!;
      out.identity[row + i] = p.identity[i]!;
    }
    out.artistChars.set(p.artistChars, row * NAME_LENGTH);
    out.labelChars.set(p.labelChars, row * NAME_LENGTH);
    out.genreIds.set(p.genreIds, row * MAX_GENRES);
    out.styleIds.set(p.styleIds, row * MAX_STYLES);
    out.numeric.set(p.numeric, row * NUMERIC_COUNT);
    out.artistHash.set(p.artistHash, row);
    out.labelHash.set(p.labelHash, row);
    row += p.count;
  }
  return out;
}

