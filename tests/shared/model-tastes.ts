// Planted tastes for the learning tests (made-up names, Discogs' public genre/style terms): the
// keepers are a group of labels and their artists, while genres, styles, years and formats are drawn
// the same way for keepers and the rest, so only who made a record tells a keeper.
import type { Release } from '../../shared/schemas';
import { mulberry32 } from '../../shared/random';
import { makeRelease, type LabelledCatalogue } from '../fixtures/ml/catalogue';

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'tor', 'vex', 'ru', 'sa', 'den', 'pol', 'qui', 'zar', 'bel', 'ot', 'fin', 'gra', 'hu', 'jol'];
const STYLES: Array<[genre: string, style: string]> = [
  ['Rock', 'Punk'],
  ['Rock', 'Hard Rock'],
  ['Jazz', 'Bop'],
  ['Electronic', 'Techno'],
  ['Electronic', 'Deep House'],
  ['Reggae', 'Dub'],
  ['Pop', 'Ballad'],
  ['Hip Hop', 'Boom Bap'],
];

function name(rng: () => number, parts: number): string {
  let s = '';
  for (let i = 0; i < parts; i++) s += SYLLABLES[Math.floor(rng() * SYLLABLES.length)]!;
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export interface LabelTasteOptions {
  /** Share of keepers that come from a collection import: no genres, no styles (default 0). */
  importedKeepers?: number;
  /** Share of keepers (default 0.25). */
  keeperRate?: number;
}

/** `count` releases; keepers = 6 of 24 labels with 4 artists each (the same pools for every seed). */
export function labelTaste(count: number, seed: number, opts: LabelTasteOptions = {}): LabelledCatalogue {
  const rng = mulberry32(seed);
  const names = mulberry32(4321);
  const labels = Array.from({ length: 24 }, () => `${name(names, 2)} ${names() < 0.5 ? 'Records' : 'Music'}`);
  const artists = labels.map(() => Array.from({ length: 4 }, () => name(names, 2)));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const releases: Release[] = [];
  const keeper: boolean[] = [];
  for (let i = 0; i < count; i++) {
    const isKeeper = rng() < (opts.keeperRate ?? 0.25);
    const l = isKeeper ? Math.floor(rng() * 6) : 6 + Math.floor(rng() * 18);
    const [genre, style] = pick(STYLES);
    const imported = isKeeper && rng() < (opts.importedKeepers ?? 0);
    releases.push(
      makeRelease(seed * 100000 + i + 1, {
        artists: [pick(artists[l]!)],
        labels: [{ name: labels[l]!, catno: null }],
        year: 1960 + Math.floor(rng() * 60),
        genres: imported ? [] : [genre],
        styles: imported ? [] : [style],
        formats: [{ name: rng() < 0.5 ? 'CD' : 'Vinyl', qty: 1, descriptions: ['Album'] }],
      }),
    );
    keeper.push(isKeeper);
  }
  return { releases, keeper };
}

/** The same records with their genres and styles removed. */
export function withoutGenres(releases: readonly Release[]): Release[] {
  return releases.map((r) => ({ ...r, genres: [], styles: [] }));
}
