import { describe, expect, it } from 'vitest';
import { explainRecord, occlusionVariants, recordName, type ExplainInput, type Occlusion } from '../../shared/explain';
import { parseRelease, type Release } from '../../shared/schemas';

function release(id: number, fields: Record<string, unknown> = {}): Release {
  return parseRelease({ id, title: `Title ${id}`, artists: [`Artist ${id}`], ...fields });
}

const target = release(1, {
  title: 'Night Harbour',
  artists: ['Ferro Quartet'],
  labels: [{ name: 'Blue Pier', catno: 'BP-1' }],
  year: 1971,
  genres: ['Jazz'],
  styles: ['Modal', 'Hard Bop'],
  formats: [{ name: 'Vinyl', qty: 1, descriptions: ['LP'] }],
});

function labelledSet(): ExplainInput['labelled'] {
  return [
    { release: release(10, { title: 'Slow Tide', artists: ['Mara Lind'], styles: ['Hard Bop'] }), keeper: true, embedding: [0.1, 0] },
    { release: release(11, { title: 'Far Lights', artists: ['Oskar Berg'], styles: ['Hard Bop'] }), keeper: true, embedding: [0, 0.3] },
    { release: release(12, { title: 'Loud Room', artists: ['The Bangs'], styles: ['Punk'] }), keeper: false, embedding: [3, 3] },
    { release: release(13, { title: 'Mild Day', artists: ['Sunny Ray'], styles: ['Modal'] }), keeper: true, embedding: [4, 4] },
  ];
}

function input(overrides: Partial<ExplainInput['target']> = {}, rest: Partial<ExplainInput> = {}): ExplainInput {
  return {
    target: { release: target, mean: 0.72, uncertainty: 0.08, aleatoric: 0.1, embedding: [0, 0], strategy: 'exploit', ...overrides },
    labelled: labelledSet(),
    ...rest,
  };
}

describe('nearest labelled records', () => {
  it('names the nearest keepers with distances, nearest first', () => {
    const reasons = explainRecord(input());
    const similar = reasons.find((r) => r.kind === 'similar-keepers')!;
    expect(similar.releaseIds).toEqual([10, 11, 13]);
    expect(similar.text).toBe(
      'Like 3 records you kept: Mara Lind – Slow Tide (distance 0.10); Oskar Berg – Far Lights (distance 0.30); Sunny Ray – Mild Day (distance 5.66)',
    );
    // 2 of the 3 nearest labelled records are keepers
    expect(similar.weight).toBeCloseTo(2 / 3, 12);
  });

  it('changes with the labelled neighbours', () => {
    const labelled = labelledSet();
    labelled[3]!.embedding = [0.05, 0];
    const similar = explainRecord({ ...input(), labelled, k: 1 }).find((r) => r.kind === 'similar-keepers')!;
    expect(similar.releaseIds).toEqual([13]);
    expect(similar.text).toContain('Like 1 record you kept: Sunny Ray – Mild Day (distance 0.05)');
    expect(explainRecord({ ...input(), k: 1 }).find((r) => r.kind === 'similar-keepers')!.releaseIds).toEqual([10]);
  });

  it('says so when non-keepers dominate the neighbourhood', () => {
    const reasons = explainRecord(input({ embedding: [3.1, 3.1] }, { k: 1 }));
    const passed = reasons.find((r) => r.text.startsWith('Closest to'))!;
    expect(passed.text).toBe('Closest to 1 record you passed on: The Bangs – Loud Room (distance 0.14)');
    expect(passed.releaseIds).toEqual([12]);
    expect(explainRecord(input()).some((r) => r.text.startsWith('Closest to'))).toBe(false);
  });

  it('does not use the record itself as evidence', () => {
    const labelled = [...labelledSet(), { release: target, keeper: true, embedding: [0, 0] }];
    const similar = explainRecord({ ...input(), labelled }).find((r) => r.kind === 'similar-keepers')!;
    expect(similar.releaseIds).not.toContain(1);
  });

  it('gives no neighbour reason without a target embedding', () => {
    const reasons = explainRecord(input({ embedding: [] }));
    expect(reasons.some((r) => r.kind === 'similar-keepers')).toBe(false);
    expect(reasons[0]!.kind).toBe('schedule');
  });

  it('gives no neighbour reason without labels', () => {
    expect(explainRecord({ ...input(), labelled: [] }).some((r) => r.kind === 'similar-keepers')).toBe(false);
  });
});

describe('features that moved the score', () => {
  const occlusion: Occlusion[] = [
    { feature: 'era', delta: -0.05, detail: 'the 1970s' },
    { feature: 'label', delta: 0.21, detail: 'Blue Pier' },
    { feature: 'styles', delta: 0.004, detail: 'Modal, Hard Bop' },
    { feature: 'artist', delta: 0.12, detail: 'Ferro Quartet' },
    { feature: 'format', delta: -0.03, detail: 'Vinyl LP' },
  ];

  it('ranks the biggest change first, leaves out noise and says which way it moved', () => {
    const features = explainRecord(input({}, { occlusion })).filter((r) => r.kind === 'feature');
    expect(features.map((r) => r.text)).toEqual([
      'The label (Blue Pier) raises the keep chance by 21 points',
      'The artist (Ferro Quartet) raises the keep chance by 12 points',
      'The era (the 1970s) lowers the keep chance by 5 points',
    ]);
    expect(features.map((r) => r.weight)).toEqual([0.21, 0.12, -0.05]);
  });

  it('follows the deltas when they change', () => {
    const swapped = occlusion.map((o) => (o.feature === 'era' ? { ...o, delta: -0.4 } : o));
    expect(explainRecord(input({}, { occlusion: swapped })).find((r) => r.kind === 'feature')!.text).toBe(
      'The era (the 1970s) lowers the keep chance by 40 points',
    );
  });

  it('works end to end with occlusionVariants and a scorer', () => {
    // A stand-in for the model: what it scores is known, so the explanation must name the label, then the style.
    const score = (r: Release) =>
      0.1 + (r.labels.some((l) => l.name === 'Blue Pier') ? 0.5 : 0) + (r.styles.includes('Hard Bop') ? 0.2 : 0) + (r.year !== null ? 0.005 : 0);
    const base = score(target);
    const occ = occlusionVariants(target).map((v) => ({ feature: v.feature, detail: v.detail, delta: base - score(v.release) }));
    const features = explainRecord(input({ mean: base }, { occlusion: occ })).filter((r) => r.kind === 'feature');
    expect(features.map((r) => r.text)).toEqual([
      'The label (Blue Pier) raises the keep chance by 50 points',
      'Its styles (Modal, Hard Bop) raise the keep chance by 20 points',
    ]);
  });
});

describe('occlusionVariants', () => {
  it('removes one feature per variant and nothing else', () => {
    const variants = occlusionVariants(target);
    expect(variants.map((v) => [v.feature, v.detail])).toEqual([
      ['artist', 'Ferro Quartet'],
      ['label', 'Blue Pier'],
      ['styles', 'Modal, Hard Bop'],
      ['genres', 'Jazz'],
      ['era', 'the 1970s'],
      ['format', 'Vinyl LP'],
    ]);
    const byFeature = Object.fromEntries(variants.map((v) => [v.feature, v.release]));
    expect(byFeature.artist).toEqual({ ...target, artists: [] });
    expect(byFeature.label).toEqual({ ...target, labels: [] });
    expect(byFeature.styles).toEqual({ ...target, styles: [] });
    expect(byFeature.genres).toEqual({ ...target, genres: [] });
    expect(byFeature.era).toEqual({ ...target, year: null, released: null });
    expect(byFeature.format).toEqual({ ...target, formats: [] });
    expect(target.artists).toEqual(['Ferro Quartet']); // the original is untouched
  });

  it('skips features the release does not have', () => {
    expect(occlusionVariants(parseRelease({ id: 5, title: 'Bare' })).map((v) => v.feature)).toEqual([]);
    expect(occlusionVariants(parseRelease({ id: 6, released: '1988-04' })).map((v) => [v.feature, v.detail])).toEqual([['era', 'the 1980s']]);
  });
});

describe('why the model is unsure (explore picks)', () => {
  it('flags an artist never labelled, and stops once it is labelled', () => {
    const reasons = explainRecord(input({ strategy: 'explore' }));
    expect(reasons.map((r) => r.text)).toContain("New artist: you haven't labelled anything by Ferro Quartet yet");
    const labelled = [...labelledSet(), { release: release(20, { artists: ['ferro quartet'] }), keeper: false, embedding: [9, 9] }];
    expect(explainRecord({ ...input({ strategy: 'explore' }), labelled }).some((r) => r.text.startsWith('New artist'))).toBe(false);
  });

  it('does not call "Various" a new artist', () => {
    const various = { ...target, artists: ['Various'] };
    expect(explainRecord(input({ strategy: 'explore', release: various })).some((r) => r.text.startsWith('New artist'))).toBe(false);
  });

  it('counts how often the rarest style was labelled', () => {
    // Modal: 1 labelled record (13); Hard Bop: 2 → Modal is the rarest
    const reasons = explainRecord(input({ strategy: 'explore' }));
    expect(reasons.map((r) => r.text)).toContain('Style rarely labelled: only 1 of your 4 labelled records has the style Modal');
    const dub = { ...target, styles: ['Dub Techno', 'Hard Bop'] };
    expect(explainRecord(input({ strategy: 'explore', release: dub })).map((r) => r.text)).toContain(
      'Style rarely labelled: none of your 4 labelled records has the style Dub Techno',
    );
  });

  it('reports how far the Monte-Carlo passes disagree', () => {
    const reasons = explainRecord(input({ strategy: 'explore', mcProbs: [0.2, 0.8, 0.5, 0.5] }));
    // population std of [0.2, 0.8, 0.5, 0.5] = √0.045 ≈ 0.212
    const mc = reasons.find((r) => r.text.startsWith("The model's 4 passes disagree"))!;
    expect(mc.text).toBe("The model's 4 passes disagree: keep chance between 20% and 80% (±21 points)");
    expect(mc.weight).toBeCloseTo(Math.sqrt(0.045), 12);
  });

  it('says when there is little data, and not when there is enough', () => {
    expect(explainRecord(input({ strategy: 'explore' })).map((r) => r.text)).toContain(
      'Little data so far: 4 records labelled (3 kept), so the model is still learning your taste',
    );
    const many = Array.from({ length: 60 }, (_, i) => ({ release: release(100 + i, { styles: ['Modal', 'Hard Bop'], artists: ['Ferro Quartet'] }), keeper: i % 2 === 0, embedding: [i, 1] }));
    const reasons = explainRecord({ ...input({ strategy: 'explore' }), labelled: many });
    expect(reasons.some((r) => r.text.startsWith('Little data'))).toBe(false);
    expect(reasons.some((r) => r.text.startsWith('Style rarely'))).toBe(false);
  });

  it('leads with the schedule line and the uncertainty', () => {
    const reasons = explainRecord(input({ strategy: 'explore', mean: 0.45, uncertainty: 0.19 }));
    expect(reasons[0]).toEqual({
      kind: 'schedule',
      text: 'Learning from this: shown because the model is unsure about it (predicted keep chance 45% ± 19 points)',
      weight: 0.19,
    });
    expect(reasons[1]!.kind).toBe('uncertainty');
    expect(reasons[1]!.text).toBe("The model's passes disagree: keep chance 45% ± 19 points");
  });

  it('states the exploration schedule when the batch is known', () => {
    const reasons = explainRecord(input({ strategy: 'explore', mean: 0.45, uncertainty: 0.19 }, { schedule: { batchNumber: 10 } }));
    expect(reasons[0]!.text).toBe(
      'Learning from this: after 10 batches, 7 of 20 picks (36%) go to the records the model is least sure about (predicted keep chance 45% ± 19 points)',
    );
    expect(explainRecord(input({ strategy: 'explore' }, { schedule: { batchNumber: 0 } }))[0]!.text).toMatch(/^Learning from this: after 0 batches, 12 of 20 picks \(60%\)/);
  });

  it('flags a label never labelled', () => {
    expect(explainRecord(input({ strategy: 'explore' })).map((r) => r.text)).toContain('New label: nothing on Blue Pier labelled yet');
    const labelled = [...labelledSet(), { release: release(21, { labels: ['BLUE PIER'] }), keeper: true, embedding: [8, 8] }];
    expect(explainRecord({ ...input({ strategy: 'explore' }), labelled }).some((r) => r.text.startsWith('New label'))).toBe(false);
  });

  it('exploit picks carry no uncertainty reasons', () => {
    expect(explainRecord(input()).some((r) => r.kind === 'uncertainty')).toBe(false);
  });
});

describe('records not picked for a batch', () => {
  it('get a short summary from the inputs', () => {
    const occlusion: Occlusion[] = [
      { feature: 'label', delta: 0.1, detail: 'Blue Pier' },
      { feature: 'artist', delta: 0.3, detail: 'Ferro Quartet' },
    ];
    const reasons = explainRecord(input({ strategy: 'none', mean: 0.34, uncertainty: 0.123 }, { occlusion }));
    expect(reasons.map((r) => r.text)).toEqual([
      'Not picked for your batch: predicted keep chance 34% ± 12 points',
      'Like 3 records you kept: Mara Lind – Slow Tide (distance 0.10); Oskar Berg – Far Lights (distance 0.30); Sunny Ray – Mild Day (distance 5.66)',
      'The artist (Ferro Quartet) raises the keep chance by 30 points',
    ]);
  });
});

describe('input checks', () => {
  it('names the bad part', () => {
    const labelled = labelledSet();
    labelled[2]!.embedding = [1, 2, 3];
    expect(() => explainRecord({ ...input(), labelled })).toThrow(/labelled\[2\]\.embedding has 3 dimensions, target\.embedding has 2/);
    expect(() => explainRecord(input({ mean: 1.2 }))).toThrow(/target\.mean must be in \[0, 1\], got 1.2/);
    expect(() => explainRecord(input({ embedding: [Number.NaN, 0] }))).toThrow(/non-finite/);
    expect(() => explainRecord({ ...input(), k: 0 })).toThrow(/k must be a positive integer/);
  });

  it('names records without artists by title', () => {
    expect(recordName(parseRelease({ id: 9, title: 'Untitled' }))).toBe('Untitled');
    expect(recordName(parseRelease({ id: 9 }))).toBe('release 9');
  });
});
