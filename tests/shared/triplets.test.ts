import { describe, expect, it } from 'vitest';
import { generateTriplets, type LabelledRelease } from '../../shared/bandit';
import { mulberry32 } from '../../shared/model/random';
import { makeRelease } from '../fixtures/ml/catalogue';

const labelled = (ids: number[], keeper: boolean): LabelledRelease[] => ids.map((id) => ({ release: makeRelease(id), keeper }));

describe('generateTriplets', () => {
  const batch = [...labelled([1, 2, 3], true), ...labelled([4, 5], false)];
  const history = [...labelled([10, 11, 12, 13], true), ...labelled([20, 21, 22, 23, 24, 25], false)];
  const rows = [...batch, ...history];

  it('anchors on batch keepers, positives are history keepers, negatives history non-keepers', () => {
    const triplets = generateTriplets(batch, history, undefined, { seed: 7 });
    expect(triplets.length).toBeGreaterThan(0);
    for (const [a, p, n] of triplets) {
      expect(a).toBeLessThan(batch.length);
      expect(rows[a]!.keeper).toBe(true);
      expect(p).toBeGreaterThanOrEqual(batch.length);
      expect(rows[p]!.keeper).toBe(true);
      expect(n).toBeGreaterThanOrEqual(batch.length);
      expect(rows[n]!.keeper).toBe(false);
    }
    // Every batch keeper anchors, each with distinct positives.
    expect(new Set(triplets.map((t) => t[0]))).toEqual(new Set([0, 1, 2]));
    for (const a of [0, 1, 2]) {
      const positives = triplets.filter((t) => t[0] === a).map((t) => t[1]);
      expect(new Set(positives).size).toBe(positives.length);
    }
  });

  it('is deterministic for a seed and respects maxTriplets', () => {
    expect(generateTriplets(batch, history, undefined, { seed: 3 })).toEqual(generateTriplets(batch, history, undefined, { seed: 3 }));
    const few = generateTriplets(batch, history, undefined, { seed: 3, maxTriplets: 4 });
    expect(few.length).toBeLessThanOrEqual(4);
    expect(few.length).toBeGreaterThan(0);
  });

  it('returns none without batch keepers, without history, or without history non-keepers', () => {
    expect(generateTriplets(labelled([1, 2], false), history)).toEqual([]);
    expect(generateTriplets(batch, [])).toEqual([]);
    expect(generateTriplets(batch, labelled([10, 11], true))).toEqual([]);
    expect(generateTriplets(batch, labelled([20, 21], false))).toEqual([]);
    expect(generateTriplets([], history)).toEqual([]);
  });

  it('never pairs a record with itself when it is both in the batch and in history', () => {
    const b = labelled([1], true);
    const h = [...labelled([1], true), ...labelled([30], false)];
    expect(generateTriplets(b, h)).toEqual([]);
  });

  it('mines hard negatives: nearer the anchor than random negatives', () => {
    // 2-d embeddings on the unit circle: anchors near angle 0, positives near angle 0.6,
    // negatives spread all around the circle.
    const rng = mulberry32(5);
    const b = labelled([1, 2, 3, 4], true);
    const hPos = labelled([10, 11, 12, 13, 14, 15], true);
    const hNeg = labelled(Array.from({ length: 60 }, (_, i) => 100 + i), false);
    const h = [...hPos, ...hNeg];
    const at = (angle: number) => [Math.cos(angle), Math.sin(angle)];
    const emb = [
      ...b.map(() => at((rng() - 0.5) * 0.2)),
      ...hPos.map(() => at(0.6 + (rng() - 0.5) * 0.2)),
      ...hNeg.map(() => at(rng() * 2 * Math.PI)),
    ];
    const dist = (i: number, j: number) => (emb[i]![0]! - emb[j]![0]!) ** 2 + (emb[i]![1]! - emb[j]![1]!) ** 2;
    const meanNegDist = (ts: [number, number, number][]) => ts.reduce((s, [a, , n]) => s + dist(a, n), 0) / ts.length;
    const mined = generateTriplets(b, h, emb, { seed: 1 });
    const random = generateTriplets(b, h, undefined, { seed: 1 });
    expect(mined.length).toBe(random.length);
    expect(meanNegDist(mined)).toBeLessThan(meanNegDist(random) * 0.5);
    // Semi-hard first: farther than the positive, within the margin, when such a negative exists.
    for (const [a, p, n] of mined) {
      const dAP = dist(a, p);
      const semiHardExists = hNeg.some((_, k) => {
        const d = dist(a, b.length + hPos.length + k);
        return d > dAP && d < dAP + 1;
      });
      if (semiHardExists) {
        expect(dist(a, n)).toBeGreaterThan(dAP);
        expect(dist(a, n)).toBeLessThan(dAP + 1);
      }
    }
  });

  it('falls back to the hardest negative when none is semi-hard', () => {
    const b = labelled([1], true);
    const h = [...labelled([10], true), ...labelled([20, 21], false)];
    // positive far (d = 4), negatives nearer than it: no semi-hard one, take the nearest.
    const emb = [
      [1, 0],
      [-1, 0],
      [0, 1],
      [0.8, 0.6],
    ];
    expect(generateTriplets(b, h, emb)).toEqual([[0, 1, 3]]);
  });

  it('refuses embeddings that do not match the rows', () => {
    expect(() => generateTriplets(batch, history, [[1, 0]])).toThrow(/1 embeddings for 15 rows/);
  });
});
