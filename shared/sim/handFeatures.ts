// Hand-made sparse features of a release (hashed one-hot: genres, styles, artist, label, half-decade,
// plus a bias). The `lin-ts` baseline learns on them, and batch diversity is measured in this space so
// that every policy is compared on the same ruler.
import type { Release } from '../schemas';
import { sortedCosine } from '../features/identity';

export const HAND_DIM = 1024;

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function norm(name: string): string {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim();
}

/** Sorted, distinct active indices (value 1 each); index 0 is the bias. */
export function handFeatureIndices(r: Release, dim = HAND_DIM): Int32Array {
  const keys: string[] = [];
  for (const g of r.genres) keys.push(`g:${norm(g)}`);
  for (const s of r.styles) keys.push(`s:${norm(s)}`);
  const artist = r.artists[0];
  if (artist !== undefined && artist !== '') keys.push(`a:${norm(artist)}`);
  const label = r.labels[0]?.name;
  if (label !== undefined && label !== '') keys.push(`l:${norm(label)}`);
  if (r.year !== null) keys.push(`y:${Math.floor(r.year / 5) * 5}`);
  const set = new Set<number>([0]);
  for (const k of keys) set.add(1 + (fnv1a(k) % (dim - 1)));
  return Int32Array.from([...set].sort((a, b) => a - b));
}

/** Euclidean distance of two L2-normalised binary vectors given their sorted active indices. */
export function handDistance(a: Int32Array, b: Int32Array): number {
  return Math.sqrt(Math.max(0, 2 - 2 * sortedCosine(a, b)));
}

export function meanPairwiseHandDistance(rows: Int32Array[]): number | null {
  if (rows.length < 2) return null;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      sum += handDistance(rows[i] as Int32Array, rows[j] as Int32Array);
      n++;
    }
  }
  return sum / n;
}
