// Seeded randomness in plain JS, used by the model, the backend and the simulator alike: the same
// seed gives the same numbers on every tfjs backend and in every process (Math.random is never used
// where results must be reproducible).

export type Rng = () => number;

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; uniform in [0, 1). */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed derived from several integers (run seed, batch number, purpose) so streams never overlap. */
export function deriveSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p & 0xffff), 0x01000193);
    h = Math.imul(h ^ ((p >>> 16) & 0xffff), 0x01000193);
  }
  return h >>> 0;
}

/** Fisher–Yates, in place; returns the same array. */
export function shuffleInPlace<T>(xs: T[], rand: Rng): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = xs[i] as T;
    xs[i] = xs[j] as T;
    xs[j] = tmp;
  }
  return xs;
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], rand: Rng): T[] {
  return shuffleInPlace(items.slice(), rand);
}

/** Standard normal draw (Box–Muller). */
export function gaussian(rand: Rng): number {
  let u = 0;
  while (u === 0) u = rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
