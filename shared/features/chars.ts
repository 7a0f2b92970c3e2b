// Character ids for the char-CNN over artist and label names.
// Unicode-safe: NFKD splits accented letters into base + combining mark, the marks are dropped
// ("Üçlüsü" -> "uclusu"), and what is still outside the fixed vocabulary (Cyrillic, CJK, symbols)
// goes to one of a few hashed buckets, so such names still differ from each other deterministically.

export const NAME_LENGTH = 24;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const PUNCTUATION = ' &\'-.,!?/()+:*$#"';
export const CHAR_HASH_BUCKETS = 11;

const FIXED_CHARS = LETTERS + DIGITS + PUNCTUATION;
const charIdByCodePoint = new Map<number, number>();
for (let i = 0; i < FIXED_CHARS.length; i++) charIdByCodePoint.set(FIXED_CHARS.codePointAt(i)!, i + 1);
const FIRST_HASH_ID = FIXED_CHARS.length + 1;

/** 0 = padding, 1..N = fixed characters, then CHAR_HASH_BUCKETS hashed buckets. */
export const CHAR_VOCAB_SIZE = FIRST_HASH_ID + CHAR_HASH_BUCKETS;

const COMBINING_MARK = /\p{M}/gu;
const DISAMBIGUATION_SUFFIX = /\s+\(\d+\)$/u;

/**
 * Names seen recently and their normalised form: a pool of records repeats most artist and label
 * names, and each name is normalised twice (char ids, identity keys); NFKD and four regular
 * expressions per call were a tenth of encoding 1000 records. Cleared when full.
 */
const normalised = new Map<string, string>();
const NORMALISED_MAX = 50_000;

/** The form a name is encoded from: Discogs' " (2)" suffix removed, NFKD, no marks, lower-case, single spaces. */
export function normaliseName(name: string): string {
  let out = normalised.get(name);
  if (out === undefined) {
    if (normalised.size >= NORMALISED_MAX) normalised.clear();
    out = normaliseUncached(name);
    normalised.set(name, out);
  }
  return out;
}

function normaliseUncached(name: string): string {
  return name
    .replace(DISAMBIGUATION_SUFFIX, '')
    .normalize('NFKD')
    .replace(COMBINING_MARK, '')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .trim();
}

function hashBucket(codePoint: number): number {
  // Knuth multiplicative hash: neighbouring code points (one script) spread over the buckets.
  return FIRST_HASH_ID + (Math.imul(codePoint, 2654435761) >>> 0) % CHAR_HASH_BUCKETS;
}

/** Writes NAME_LENGTH char ids of `name` into `out` at `offset` (zero padded, truncated). */
export function encodeNameInto(name: string | null | undefined, out: Int32Array, offset: number): void {
  if (!name) return;
  let i = 0;
  for (const ch of normaliseName(name)) {
    if (i >= NAME_LENGTH) break;
    const cp = ch.codePointAt(0)!;
    out[offset + i] = charIdByCodePoint.get(cp) ?? hashBucket(cp);
    i++;
  }
}
