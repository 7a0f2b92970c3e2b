import { describe, expect, it } from 'vitest';
import { auc, ece, meanCI95, meanPairwiseDistance, reliabilityBins, silhouette, studentTQuantile } from '../../shared/metrics';

describe('reliabilityBins and ece', () => {
  it('bins by predicted probability (hand-computed, 2 bins)', () => {
    const probs = [0.1, 0.4, 0.8, 0.9];
    const labels = [0, 1, 1, 0];
    const bins = reliabilityBins(probs, labels, 2);
    expect(bins).toHaveLength(2);
    expect(bins[0]).toMatchObject({ lo: 0, hi: 0.5, count: 2, fracPositive: 0.5 });
    expect(bins[0]!.meanProb).toBeCloseTo(0.25, 12);
    expect(bins[1]).toMatchObject({ lo: 0.5, hi: 1, count: 2, fracPositive: 0.5 });
    expect(bins[1]!.meanProb).toBeCloseTo(0.85, 12);
    // 0.5 · |0.5 − 0.25| + 0.5 · |0.5 − 0.85| = 0.125 + 0.175
    expect(ece(probs, labels, 2)).toBeCloseTo(0.3, 12);
  });

  it('keeps empty bins, puts p = 1 in the last bin and accepts booleans and typed arrays', () => {
    const bins = reliabilityBins(new Float32Array([1, 0.05]), [true, false]);
    expect(bins).toHaveLength(10);
    expect(bins[9]).toMatchObject({ count: 1, meanProb: 1, fracPositive: 1 });
    expect(bins[0]!.count).toBe(1);
    expect(bins.slice(1, 9).every((b) => b.count === 0 && b.meanProb === 0)).toBe(true);
  });

  it('is 0 for perfectly calibrated bins and 1 for confidently wrong ones', () => {
    expect(ece([0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0])).toBeCloseTo(0, 12);
    expect(ece([1, 1, 0, 0], [0, 0, 1, 1])).toBe(1);
    expect(ece([], [])).toBe(0);
  });

  it('rejects mismatched lengths, probabilities outside [0, 1] and non-binary labels', () => {
    expect(() => ece([0.2], [1, 0])).toThrow(/1 predictions but 2 labels/);
    expect(() => ece([0.2, 1.5], [1, 0])).toThrow(/probability 1 must be in \[0, 1\], got 1.5/);
    expect(() => ece([0.2, Number.NaN], [1, 0])).toThrow(/probability 1/);
    expect(() => ece([0.2, 0.3], [1, 2])).toThrow(/label 1 must be 0, 1, true or false, got 2/);
  });
});

describe('auc', () => {
  it('matches hand-computed values', () => {
    expect(auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBeCloseTo(0.75, 12);
    expect(auc([3, 2, 1], [1, 1, 0])).toBe(1);
    expect(auc([1, 2, 3], [1, 1, 0])).toBe(0);
  });

  it('counts ties one half', () => {
    expect(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    // pairs (pos, neg): (2,1)=1, (2,2)=½, (3,1)=1, (3,2)=1 → 3.5 / 4
    expect(auc([1, 2, 2, 3], [0, 0, 1, 1])).toBe(0.875);
  });

  it('is null when one class is absent', () => {
    expect(auc([0.1, 0.2], [1, 1])).toBeNull();
    expect(auc([0.1, 0.2], [false, false])).toBeNull();
    expect(auc([], [])).toBeNull();
  });

  it('does not depend on input order', () => {
    const scores = [0.3, 0.9, 0.1, 0.5, 0.7, 0.5, 0.2];
    const labels = [0, 1, 0, 1, 0, 0, 1];
    const perm = [6, 2, 4, 0, 1, 5, 3];
    expect(auc(perm.map((i) => scores[i]!), perm.map((i) => labels[i]!))).toBeCloseTo(auc(scores, labels)!, 12);
  });
});

describe('silhouette', () => {
  it('matches the hand-computed value for two 1-d clusters', () => {
    // point 0: a = 1, b = 4.5 → 7/9; point 1: a = 1, b = 3.5 → 5/7; symmetric for the other cluster
    expect(silhouette([[0], [1], [4], [5]], [0, 0, 1, 1])).toBeCloseTo((7 / 9 + 5 / 7) / 2, 12);
  });

  it('counts a singleton cluster as 0', () => {
    // point 0: a = 1, b = 10 → 0.9; point 1: a = 1, b = 9 → 8/9; the singleton: 0
    expect(silhouette([[0], [1], [10]], [0, 0, 1])).toBeCloseTo((0.9 + 8 / 9) / 3, 12);
  });

  it('is negative for a labelling against the geometry and null with one cluster', () => {
    expect(silhouette([[0], [5], [1], [6]], [0, 0, 1, 1])!).toBeLessThan(0);
    expect(silhouette([[0], [1]], [1, 1])).toBeNull();
    expect(silhouette([[0, 0], [0, 0], [0, 0], [0, 0]], [0, 0, 1, 1])).toBe(0);
  });

  it('uses euclidean distance in several dimensions and checks shapes', () => {
    expect(silhouette([[0, 0], [3, 4], [30, 40], [33, 44]], [0, 0, 1, 1])).toBeCloseTo(
      // a = 5 for every point; b: point 0 → (50 + 55)/2, point 1 → (45 + 50)/2, point 2 → (50 + 45)/2, point 3 → (55 + 50)/2
      ((1 - 5 / 52.5) * 2 + (1 - 5 / 47.5) * 2) / 4,
      12,
    );
    expect(() => silhouette([[0, 0], [1]], [0, 1])).toThrow(/vector 1 has 1 dimensions/);
    expect(() => silhouette([[0]], [0, 1])).toThrow(/1 predictions but 2 labels/);
  });
});

describe('meanPairwiseDistance', () => {
  it('averages the distances of every pair', () => {
    expect(meanPairwiseDistance([[0, 0], [3, 4], [0, 4]])).toBeCloseTo(4, 12); // 5, 3, 4
    expect(meanPairwiseDistance([[1, 2]])).toBe(0);
    expect(meanPairwiseDistance([])).toBe(0);
  });
});

describe('meanCI95', () => {
  it('uses the t quantile (known table values)', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062047, 5);
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.7764451, 6);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.0422725, 6);
    expect(studentTQuantile(0.975, 1e6)).toBeCloseTo(1.959966, 5);
    expect(studentTQuantile(0.5, 7)).toBeCloseTo(0, 10);
  });

  it('matches the hand-computed interval for 1..5', () => {
    // mean 3, s = √2.5, se = s/√5 = √0.5, t(0.975, 4) = 2.7764451
    const ci = meanCI95([1, 2, 3, 4, 5]);
    expect(ci.n).toBe(5);
    expect(ci.mean).toBe(3);
    expect(ci.lo).toBeCloseTo(3 - 2.7764451 * Math.sqrt(0.5), 6);
    expect(ci.hi).toBeCloseTo(3 + 2.7764451 * Math.sqrt(0.5), 6);
  });

  it('is a point for constant values, unbounded for one value, refuses none', () => {
    expect(meanCI95([2, 2, 2])).toEqual({ mean: 2, lo: 2, hi: 2, n: 3 });
    expect(meanCI95([7])).toEqual({ mean: 7, lo: -Infinity, hi: Infinity, n: 1 });
    expect(() => meanCI95([])).toThrow(/at least one value/);
    expect(() => meanCI95([1, Number.NaN])).toThrow(/value 1 must be a finite number/);
  });
});
