// Genre and style ids over Discogs' own taxonomy, with case / spelling / alias normalisation.
// Real lists are messy: one export lower-cases everything ("hip hop", "pop rock"), others spell
// "Rock 'n' Roll", "Hip-Hop", "Synth Pop", or split "Folk, World, & Country" at its commas.
import { DISCOGS_GENRES, DISCOGS_STYLES } from './vocabulary';

export const GENRES: readonly string[] = DISCOGS_GENRES;
export const STYLES: readonly string[] = DISCOGS_STYLES;
export const PAD_ID = 0;
export const OOV_ID = 1;
/** Vocabulary sizes including padding (0) and out-of-vocabulary (1). */
export const GENRE_VOCAB_SIZE = GENRES.length + 2;
export const STYLE_VOCAB_SIZE = STYLES.length + 2;

/** Spelling-insensitive key: NFKD, no marks, lower-case, "&" / "'n'" / " n " read as "and", only letters and digits. */
export function taxonomyKey(term: string): string {
  return term
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/['’]n['’]|\bn\b/gu, ' and ')
    .replace(/&/gu, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

const FWC = 'Folk, World, & Country';
// Keys (taxonomyKey form) of names seen in real lists that are not Discogs terms, mapped to the term
// Discogs files them under.
const GENRE_ALIASES: Record<string, string> = {
  metal: 'Rock',
  heavymetal: 'Rock',
  punk: 'Rock',
  electronica: 'Electronic',
  dance: 'Electronic',
  folk: FWC,
  world: FWC,
  country: FWC,
  andcountry: FWC, // the tail of "Folk, World, & Country" split at its commas
  funkworldandcountry: FWC,
  folkceltic: FWC,
  soul: 'Funk / Soul',
  funk: 'Funk / Soul',
  randb: 'Funk / Soul',
  rap: 'Hip Hop',
  soundtrack: 'Stage & Screen',
  bandeoriginale: 'Stage & Screen',
  chanson: 'Pop',
};
const STYLE_ALIASES: Record<string, string> = {
  thrashmetal: 'Thrash',
  rhythmblues: 'Rhythm & Blues',
  randb: 'Rhythm & Blues',
  merseybeat: 'Beat',
  rockroll: 'Rock & Roll',
  synthpop: 'Synth-pop',
};

function buildLookup(vocab: readonly string[], aliases: Record<string, string>): (term: string) => number {
  const exact = new Map<string, number>();
  const byKey = new Map<string, number>();
  vocab.forEach((term, i) => {
    const id = i + 2;
    exact.set(term, id);
    // Discogs lists a few near-duplicates ("Bossanova" / "Bossa Nova"): the first keeps the key.
    const key = taxonomyKey(term);
    if (!byKey.has(key)) byKey.set(key, id);
  });
  for (const [key, target] of Object.entries(aliases)) {
    const id = exact.get(target);
    // Only aliases onto real terms: an alias whose target left the taxonomy is dropped, not invented.
    if (id !== undefined && !byKey.has(key)) byKey.set(key, id);
  }
  return (term: string) => exact.get(term) ?? byKey.get(taxonomyKey(term)) ?? OOV_ID;
}

export const genreId: (term: string) => number = buildLookup(GENRES, GENRE_ALIASES);
export const styleId: (term: string) => number = buildLookup(STYLES, STYLE_ALIASES);

/** Canonical Discogs spelling of a genre / style, or null when it is out of vocabulary. */
export function canonicalGenre(term: string): string | null {
  const id = genreId(term);
  return id >= 2 ? GENRES[id - 2]! : null;
}
export function canonicalStyle(term: string): string | null {
  const id = styleId(term);
  return id >= 2 ? STYLES[id - 2]! : null;
}

/** Writes up to `max` distinct ids (first occurrences, in order) into `out` at `offset`; blanks are skipped. */
export function encodeTermsInto(
  terms: readonly string[],
  lookup: (term: string) => number,
  max: number,
  out: Int32Array,
  offset: number,
): number {
  let n = 0;
  const seen = new Set<number>();
  for (const term of terms) {
    if (n >= max) break;
    if (term.trim() === '') continue;
    const id = lookup(term);
    // Several unknown terms collapse to one OOV slot: a record with 5 odd styles is not 5x "unknown".
    if (seen.has(id)) continue;
    seen.add(id);
    out[offset + n] = id;
    n++;
  }
  return n;
}
