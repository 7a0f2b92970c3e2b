// "Noise-contrastive prior" probes (after Hafner et al., 2018): random records, unlike anything a
// collector labels, on which the regulariser pulls the keep-probability towards the prior (the
// collector's keeper rate).
// Why: a ReLU network extrapolates confidently, so without them records of a style, script or era
// nobody labelled get the same near-0 score (and near-0 Monte-Carlo spread) as well-known
// non-keepers, and the bandit would never explore them. Near labelled records the labels dominate.
import { GENRES, STYLES, encodeReleases, type EncodedReleases, type FeatureRelease } from '../features';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz0123456789 &-.';
// Code points beyond the fixed char vocabulary (Cyrillic, Greek, CJK, kana) land in its hashed buckets.
const OTHER_SCRIPTS = 'абвгдежзиклмнопрстуфхцчшщыэюяαβγδεζηθικλμνξοπρστυφχψω音楽交響団合唱アイウエオカキクケコ';
const FORMATS = ['Vinyl', 'CD', 'Cassette', 'File', 'Shellac', 'DVD', 'Box Set', 'Reel-To-Reel'];
const DESCRIPTIONS = ['LP', '7"', '10"', '12"', 'Album', 'Single', 'EP', 'Compilation', 'Reissue', 'Limited Edition'];

function randomName(rng: () => number): string {
  const alphabet = rng() < 0.5 ? LETTERS : OTHER_SCRIPTS;
  const chars = Array.from(alphabet);
  const length = 3 + Math.floor(rng() * 18);
  let s = '';
  for (let i = 0; i < length; i++) s += chars[Math.floor(rng() * chars.length)];
  return s;
}

/** `count` random records (seeded by `rng`): random names, genre, styles, year and format. */
export function priorProbes(rng: () => number, count: number): EncodedReleases {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const records: FeatureRelease[] = Array.from({ length: count }, (_, i) => ({
    id: i + 1,
    artists: [randomName(rng)],
    labels: [{ name: randomName(rng) }],
    year: 1900 + Math.floor(rng() * 126),
    genres: [pick(GENRES)],
    styles: rng() < 0.5 ? [pick(STYLES)] : [pick(STYLES), pick(STYLES)],
    formats: rng() < 0.3 ? [] : [{ name: pick(FORMATS), qty: 1, descriptions: [pick(DESCRIPTIONS)] }],
  }));
  const enc = encodeReleases(records);
  // No identity buckets: a probe stands for a record by a name nobody labelled, whose bucket is
  // untrained (zero), and a random name would otherwise train the bucket of a real one it collides with.
  enc.artistHash.fill(0);
  enc.labelHash.fill(0);
  return enc;
}
