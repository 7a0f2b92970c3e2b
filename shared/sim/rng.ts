// The simulator draws every random number from the shared seeded generator, so the same seed gives
// the same report.
export { mulberry32 as createRng, deriveSeed, gaussian, shuffled, type Rng } from '../random';
