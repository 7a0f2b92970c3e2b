import { describe, expect, it } from 'vitest';
import { EXPLORATION_DEFAULTS, explorationRate, exploreCount, selectBatch, type Candidate } from '../../shared/bandit/select';
import { SelectionItemSchema } from '../../shared/schemas';
import { mulberry32 } from '../../shared/random';

function pool(n: number, seed = 1): Candidate[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => ({ releaseId: 1000 + i, mean: rand(), uncertainty: rand() * 0.3 }));
}

const counts = (items: { strategy: string }[]) => ({
  explore: items.filter((i) => i.strategy === 'explore').length,
  exploit: items.filter((i) => i.strategy === 'exploit').length,
});

describe('exploration schedule', () => {
  it('uses the specified defaults', () => {
    expect(EXPLORATION_DEFAULTS).toEqual({ start: 0.6, decay: 0.95, floor: 0.2, batchSize: 20 });
  });

  it('12 explore / 8 exploit at batch 0, 7 / 13 at batch 10, 4 / 16 from batch 22 on', () => {
    expect(exploreCount(0)).toBe(12);
    expect(exploreCount(10)).toBe(7);
    for (let b = 22; b <= 200; b++) expect(exploreCount(b), `batch ${b}`).toBe(4);
    const candidates = pool(1000);
    for (const [b, explore, exploit] of [
      [0, 12, 8],
      [10, 7, 13],
      [22, 4, 16],
      [200, 4, 16],
    ] as const) {
      expect(counts(selectBatch(candidates, { batchNumber: b }).items), `batch ${b}`).toEqual({ explore, exploit });
    }
  });

  it('follows max(0.2, 0.6 · 0.95^b) and decays monotonically to the floor', () => {
    let previous = Infinity;
    for (let b = 0; b <= 200; b++) {
      const r = explorationRate(b);
      expect(r).toBeCloseTo(Math.max(0.2, 0.6 * 0.95 ** b), 12);
      expect(r).toBeLessThanOrEqual(previous);
      previous = r;
    }
    expect(explorationRate(0)).toBe(0.6);
    expect(explorationRate(21)).toBeGreaterThan(0.2);
    expect(explorationRate(22)).toBe(0.2);
    expect(explorationRate(1000)).toBe(0.2);
  });

  it('takes another schedule and batch size', () => {
    expect(explorationRate(1, { start: 0.5, decay: 0.5, floor: 0.1 })).toBe(0.25);
    expect(exploreCount(0, 10)).toBe(6);
    expect(exploreCount(0, 0)).toBe(0);
  });

  it('refuses a negative or fractional batch number', () => {
    expect(() => explorationRate(-1)).toThrow(/batchNumber must be a non-negative integer, got -1/);
    expect(() => exploreCount(1.5)).toThrow(/batchNumber/);
    expect(() => exploreCount(0, -2)).toThrow(/batchSize must be a non-negative integer/);
  });
});

describe('selectBatch', () => {
  it('exploits the top mean − uncertainty, then explores the top uncertainty among the rest', () => {
    const candidates = pool(300, 7);
    const { items, exploreRate } = selectBatch(candidates, { batchNumber: 0 });
    expect(exploreRate).toBe(0.6);
    const exploit = items.filter((i) => i.strategy === 'exploit');
    const explore = items.filter((i) => i.strategy === 'explore');

    const byExploit = [...candidates].sort((a, b) => b.mean - b.uncertainty - (a.mean - a.uncertainty));
    expect(exploit.map((i) => i.releaseId)).toEqual(byExploit.slice(0, 8).map((c) => c.releaseId));
    const rest = candidates.filter((c) => !exploit.some((e) => e.releaseId === c.releaseId));
    const byUncertainty = [...rest].sort((a, b) => b.uncertainty - a.uncertainty);
    expect(explore.map((i) => i.releaseId)).toEqual(byUncertainty.slice(0, 12).map((c) => c.releaseId));

    for (const i of exploit) expect(i.score).toBeCloseTo(i.mean - i.uncertainty, 12);
    for (const i of explore) expect(i.score).toBe(i.uncertainty);
    for (const i of items) {
      expect(i.propensity).toBe(1);
      expect(SelectionItemSchema.safeParse(i).success).toBe(true);
    }
  });

  it('a record with the highest uncertainty but a top exploit score is exploited, not picked twice', () => {
    const candidates: Candidate[] = [
      { releaseId: 1, mean: 0.99, uncertainty: 0.001 },
      { releaseId: 2, mean: 0.9, uncertainty: 0.5 },
      { releaseId: 3, mean: 0.1, uncertainty: 0.4 },
      { releaseId: 4, mean: 0.2, uncertainty: 0.01 },
    ];
    const { items } = selectBatch(candidates, { batchNumber: 0, batchSize: 2 });
    // batch of 2 at rate 0.6 → 1 explore, 1 exploit
    expect(items.map((i) => [i.releaseId, i.strategy])).toEqual([
      [1, 'exploit'],
      [2, 'explore'],
    ]);
  });

  it('never returns a record twice, keeping the first of duplicate candidates', () => {
    const base = pool(40, 3);
    const duplicated = [...base, ...base.map((c) => ({ ...c, mean: 1, uncertainty: 1 }))];
    const { items } = selectBatch(duplicated, { batchNumber: 5 });
    const ids = items.map((i) => i.releaseId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(20);
    for (const i of items) {
      const first = base.find((c) => c.releaseId === i.releaseId)!;
      expect([i.mean, i.uncertainty]).toEqual([first.mean, first.uncertainty]);
    }
  });

  it.each([
    [0, 0, 0],
    [1, 1, 0],
    [5, 3, 2],
    [19, 11, 8],
  ])('a pool of %i candidates gives everything, keeping the explore share (%i explore, %i exploit at batch 0)', (n, explore, exploit) => {
    const { items } = selectBatch(pool(n, 11), { batchNumber: 0 });
    expect(items.length).toBe(n);
    expect(counts(items)).toEqual({ explore, exploit });
  });

  it('a pool of 1 at the exploration floor is exploited', () => {
    expect(selectBatch(pool(1), { batchNumber: 30 }).items.map((i) => i.strategy)).toEqual(['exploit']);
  });

  it('breaks ties by releaseId ascending, whatever the input order', () => {
    const tied: Candidate[] = [50, 7, 31, 2, 19, 44, 3, 28].map((releaseId) => ({ releaseId, mean: 0.5, uncertainty: 0.1 }));
    const a = selectBatch(tied, { batchNumber: 0, batchSize: 5 });
    const b = selectBatch([...tied].reverse(), { batchNumber: 0, batchSize: 5 });
    expect(a).toEqual(b);
    // 5 at rate 0.6 → 3 explore, 2 exploit; all scores equal, so ids ascending in each part.
    expect(a.items.map((i) => i.releaseId)).toEqual([2, 3, 7, 19, 28]);
    expect(a.items.map((i) => i.strategy)).toEqual(['exploit', 'exploit', 'explore', 'explore', 'explore']);
  });

  it('leaves out candidates it cannot rank (NaN, Infinity, bad ids) without disturbing the order of the rest', () => {
    const clean = pool(30, 5);
    const noisy: Candidate[] = [
      { releaseId: 1, mean: Number.NaN, uncertainty: 0.9 },
      ...clean.slice(0, 15),
      { releaseId: 2, mean: 0.99, uncertainty: Number.NaN },
      { releaseId: 3, mean: Number.POSITIVE_INFINITY, uncertainty: 0 },
      { releaseId: -4, mean: 0.99, uncertainty: 0 },
      { releaseId: 2.5, mean: 0.99, uncertainty: 0 },
      ...clean.slice(15),
    ];
    expect(selectBatch(noisy, { batchNumber: 3 })).toEqual(selectBatch(clean, { batchNumber: 3 }));
  });

  it('refuses a bad batch size or batch number', () => {
    expect(() => selectBatch(pool(5), { batchNumber: 0, batchSize: -1 })).toThrow(/batchSize must be a non-negative integer, got -1/);
    expect(() => selectBatch(pool(5), { batchNumber: 0, batchSize: 2.5 })).toThrow(/batchSize/);
    expect(() => selectBatch(pool(5), { batchNumber: Number.NaN })).toThrow(/batchNumber must be a non-negative integer, got NaN/);
  });

  it('uses batchSize and a custom schedule', () => {
    const { items, exploreRate } = selectBatch(pool(100), { batchNumber: 0, batchSize: 10, exploration: { start: 0.3, decay: 0.9, floor: 0.1 } });
    expect(exploreRate).toBe(0.3);
    expect(counts(items)).toEqual({ explore: 3, exploit: 7 });
  });
});
