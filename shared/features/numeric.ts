// Numeric feature columns: cyclical time, normalised community stats, format flags and
// missing-value flags. Every value is finite and roughly within [-2, 2]; a missing value is 0 with
// its "known" flag 0, so the model can tell "unknown" from "zero" (the canonical pool has no formats
// and no community stats at all).
import type { FeatureRelease } from './types';

export const NUMERIC_FEATURES = [
  'yearKnown',
  'yearLinear', // (year - 1980) / 40, clamped to [-2, 2]
  'yearInDecadeSin', // year within its decade: 2π·(year mod 10)/10
  'yearInDecadeCos',
  'decadeInCenturySin', // decade position within its century: 2π·(decade mod 10)/10
  'decadeInCenturyCos',
  'monthKnown',
  'monthSin', // month of release (from `released`): 2π·(month-1)/12
  'monthCos',
  'communityKnown',
  'logHave', // log1p(have) / log1p(100000)
  'logWant',
  'wantOverHave', // (log1p(want) - log1p(have)) / 5, clamped to [-2, 2]
  'ratingKnown',
  'rating', // average rating / 5
  'logRatingCount',
  'priceKnown',
  'logPrice', // log1p(lowest price) / log1p(1000), clamped to 2
  'formatKnown',
  'fmtVinyl',
  'fmtCD',
  'fmtCassette',
  'fmtFile',
  'fmtBoxSet',
  'fmtOtherMedia',
  'descLP',
  'desc7inch',
  'desc10inch',
  'desc12inch',
  'descAlbum',
  'descSingle',
  'descEP',
  'descCompilation',
  'descReissue',
  'descLimited',
  'multiDisc', // min(total discs - 1, 3) / 3
  'artistKnown',
  'variousArtists',
  'labelKnown',
  'genresKnown',
  'stylesKnown',
  'countryKnown',
] as const;
export type NumericFeature = (typeof NUMERIC_FEATURES)[number];
export const NUMERIC_COUNT = NUMERIC_FEATURES.length;
const column = new Map<string, number>(NUMERIC_FEATURES.map((name, i) => [name, i]));

const TAU = 2 * Math.PI;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const isNum = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** Release year from `year`, else from the `released` date; null when unknown or implausible. */
export function releaseYear(r: FeatureRelease): number | null {
  const y = isNum(r.year) && r.year > 0 ? r.year : r.released ? Number(r.released.slice(0, 4)) : NaN;
  return Number.isInteger(y) && y >= 1850 && y <= 2100 ? y : null;
}

/** Month (1..12) from a 'YYYY-MM' or 'YYYY-MM-DD' released date; Discogs writes '00' for unknown. */
export function releaseMonth(r: FeatureRelease): number | null {
  const m = r.released ? /^\d{4}-(\d{2})/u.exec(r.released) : null;
  const month = m ? Number(m[1]) : NaN;
  return month >= 1 && month <= 12 ? month : null;
}

// Format names and descriptions as Discogs writes them, normalised to lower-case tokens.
const FORMAT_FLAGS: Array<[NumericFeature, RegExp]> = [
  ['fmtVinyl', /^(vinyl|shellac|lp|7"|10"|12"|flexi-disc|lathe cut)$/u],
  ['fmtCD', /^(cd|cdr|sacd|hdcd|cdv|minimax)$/u],
  ['fmtCassette', /^(cassette|microcassette|8-track cartridge)$/u],
  ['fmtFile', /^(file|mp3|flac|wav|aac|alac)$/u],
  ['fmtBoxSet', /^box set$/u],
  ['fmtOtherMedia', /^(dvd|dvdr|blu-ray|vhs|minidisc|reel-to-reel|memory stick|all media|laserdisc|dat|usb)$/u],
  ['descLP', /^lp$/u],
  ['desc7inch', /^7"$/u],
  ['desc10inch', /^10"$/u],
  ['desc12inch', /^12"$/u],
  ['descAlbum', /^(album|mini-album)$/u],
  ['descSingle', /^(single|maxi-single|single sided)$/u],
  ['descEP', /^ep$/u],
  ['descCompilation', /^(compilation|comp)$/u],
  ['descReissue', /^(reissue|re|repress|rp|remastered|rm)$/u],
  ['descLimited', /^(limited edition|ltd)$/u],
];

function formatTokens(r: FeatureRelease): { tokens: string[]; discs: number } {
  const tokens: string[] = [];
  let discs = 0;
  for (const f of r.formats ?? []) {
    discs += isNum(f.qty) && f.qty > 0 ? f.qty : 1;
    for (const text of [f.name, ...(f.descriptions ?? [])]) {
      const lower = text.toLowerCase().trim();
      if (lower === '') continue;
      tokens.push(lower);
      // 'Vinyl 12"', '2xLP': also look at the parts.
      for (const part of lower.split(/[\s,]+/u)) {
        const multi = /^(\d+)x(.+)$/u.exec(part);
        if (multi) {
          tokens.push(multi[2]!);
          discs = Math.max(discs, Number(multi[1]));
        } else if (part !== lower) {
          tokens.push(part);
        }
      }
    }
  }
  return { tokens, discs };
}

/** Writes the NUMERIC_FEATURES columns of `r` into `out` at `offset` (the slots must be zero). */
export function encodeNumericInto(r: FeatureRelease, out: Float32Array, offset: number): void {
  const set = (name: NumericFeature, value: number) => {
    out[offset + column.get(name)!] = value;
  };
  const year = releaseYear(r);
  if (year !== null) {
    set('yearKnown', 1);
    set('yearLinear', clamp((year - 1980) / 40, -2, 2));
    set('yearInDecadeSin', Math.sin((TAU * (year % 10)) / 10));
    set('yearInDecadeCos', Math.cos((TAU * (year % 10)) / 10));
    const decade = Math.floor(year / 10) % 10;
    set('decadeInCenturySin', Math.sin((TAU * decade) / 10));
    set('decadeInCenturyCos', Math.cos((TAU * decade) / 10));
  }
  const month = releaseMonth(r);
  if (month !== null) {
    set('monthKnown', 1);
    set('monthSin', Math.sin((TAU * (month - 1)) / 12));
    set('monthCos', Math.cos((TAU * (month - 1)) / 12));
  }
  const c = r.community;
  const have = c && isNum(c.have) && c.have >= 0 ? c.have : null;
  const want = c && isNum(c.want) && c.want >= 0 ? c.want : null;
  if (have !== null || want !== null) {
    set('communityKnown', 1);
    set('logHave', clamp(Math.log1p(have ?? 0) / Math.log1p(100000), 0, 2));
    set('logWant', clamp(Math.log1p(want ?? 0) / Math.log1p(100000), 0, 2));
    set('wantOverHave', clamp((Math.log1p(want ?? 0) - Math.log1p(have ?? 0)) / 5, -2, 2));
  }
  if (c && isNum(c.rating) && c.rating > 0) {
    set('ratingKnown', 1);
    set('rating', clamp(c.rating / 5, 0, 1));
    set('logRatingCount', isNum(c.ratingCount) ? clamp(Math.log1p(Math.max(0, c.ratingCount)) / Math.log1p(10000), 0, 2) : 0);
  }
  if (isNum(r.lowestPrice) && r.lowestPrice >= 0) {
    set('priceKnown', 1);
    set('logPrice', clamp(Math.log1p(r.lowestPrice) / Math.log1p(1000), 0, 2));
  }
  const { tokens, discs } = formatTokens(r);
  if (tokens.length > 0) {
    set('formatKnown', 1);
    for (const [name, pattern] of FORMAT_FLAGS) {
      if (tokens.some((t) => pattern.test(t))) set(name, 1);
    }
    set('multiDisc', clamp(discs - 1, 0, 3) / 3);
  }
  const artist = r.artists?.[0]?.trim() ?? '';
  set('artistKnown', artist ? 1 : 0);
  set('variousArtists', /^various(\s+\(\d+\))?$/iu.test(artist) ? 1 : 0);
  set('labelKnown', r.labels?.[0]?.name?.trim() ? 1 : 0);
  set('genresKnown', (r.genres ?? []).some((g) => g.trim() !== '') ? 1 : 0);
  set('stylesKnown', (r.styles ?? []).some((s) => s.trim() !== '') ? 1 : 0);
  set('countryKnown', r.country?.trim() ? 1 : 0);
}
