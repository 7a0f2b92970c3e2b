// Seeded randomness in plain JS, so initial weights and dropout masks are identical on cpu, wasm and
// webgl (tfjs' own random ops differ between backends).

export { mulberry32 } from '../random';

/** Glorot-uniform values for a [fanIn, fanOut] matrix. */
export function glorotUniform(rng: () => number, fanIn: number, fanOut: number, size = fanIn * fanOut): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rng() * 2 - 1) * limit;
  return out;
}

/** Inverted-dropout mask: 0 with probability `rate`, else 1 / (1 - rate). */
export function dropoutMask(rng: () => number, size: number, rate: number): Float32Array {
  const out = new Float32Array(size);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < size; i++) out[i] = rng() < rate ? 0 : keep;
  return out;
}
