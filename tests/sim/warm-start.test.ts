import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvExportView } from '../../shared/sim/csvView';
import { loadKeepers } from '../../shared/sim/data';
import { importedKeepers, runPolicy, type RunSpec } from '../../shared/sim/engine';
import { createLinTsPolicy } from '../../shared/sim/policies/linTs';
import type { LabelledIndex, Policy, PolicyFactory } from '../../shared/sim/policy';
import { prepareUser, simulate, type PreparedUser } from '../../shared/sim/simulate';
import type { Release } from '../../shared/schemas';
import { plantedOptions } from './helpers';

const release = (over: Partial<Release>): Release => ({
  id: 1,
  masterId: 55,
  title: 'Ravenmi',
  artists: ['Kalo Ven'],
  labels: [{ name: 'Selash Records', catno: 'KR-1' }],
  year: 1999,
  released: '1999',
  country: 'Germany',
  genres: ['Electronic'],
  styles: ['Techno'],
  formats: [{ name: 'Vinyl', qty: 1, descriptions: ['LP', 'Album'] }],
  community: { have: 120, want: 40, rating: 4.2, ratingCount: 10 },
  lowestPrice: 12.5,
  thumb: 'https://example.invalid/t.jpg',
  ...over,
});

function specFor(p: PreparedUser, over: Partial<RunSpec> = {}): RunSpec {
  return { world: p.world, keepers: p.keepers, shiftKeepers: null, scenario: 'warm-start', policy: 'lin-ts', seed: 3, batches: 4, batchSize: 10, poolSize: 150, ...over };
}

describe('the CSV export view of an imported keeper', () => {
  it('is what the product importer reads from a Discogs collection CSV export of the record', async () => {
    const r = release({});
    const dir = await mkdtemp(path.join(os.tmpdir(), 'keepers-csv-'));
    try {
      const file = path.join(dir, 'export.csv');
      await writeFile(
        file,
        'Catalog#,Artist,Title,Label,Format,Rating,Released,release_id,CollectionFolder,Date Added,Collection Media Condition,Collection Sleeve Condition,Collection Notes\n' +
          `KR-1,Kalo Ven,Ravenmi,Selash Records,"LP, Album",,1999,1,Uncategorized,2024-01-01 10:00:00,,,\n`,
      );
      const imported = (await loadKeepers(file)).releases[0]!;
      expect(csvExportView(r)).toEqual(imported);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('has no genres, styles, master id, country or community stats', () => {
    const v = csvExportView(release({}));
    expect(v.genres).toEqual([]);
    expect(v.styles).toEqual([]);
    expect(v.masterId).toBeNull();
    expect(v.country).toBeNull();
    expect(v.community).toEqual({ have: null, want: null, rating: null, ratingCount: null });
    expect(v.labels).toEqual([{ name: 'Selash Records', catno: 'KR-1' }]);
    expect(v.year).toBe(1999);
  });
});

describe('warm-start scenario', () => {
  it('imports a seeded half of the keepers before batch 0: labelled, never candidates; the rest are to find', async () => {
    const report = await simulate(plantedOptions({ scenario: 'warm-start', policies: ['oracle', 'random'], seeds: [1, 2], batches: 12, batchSize: 10, poolSize: 300 }));
    expect(report.settings.keepersInPool).toBe(61);
    expect(report.settings.importedKeepers).toBe(30);
    expect(report.settings.keepersToFind).toBe(31);
    const p = await prepareUser(plantedOptions({ scenario: 'warm-start' }));
    for (const run of report.runs) {
      expect(run.imported).toBe(30);
      const importedIds = new Set(importedKeepers(p.keepers, run.seed).map((i) => p.world.pool[i]!.id));
      expect(run.batches.flatMap((b) => b.pickedIds).filter((id) => importedIds.has(id))).toEqual([]);
    }
    // 120 picks from 300 candidates a batch: the oracle finds every keeper left, and not one more
    for (const run of report.runs.filter((r) => r.policy === 'oracle')) expect(run.batches.reduce((s, b) => s + b.keepers, 0)).toBe(31);
    expect(importedKeepers(p.keepers, 1)).not.toEqual(importedKeepers(p.keepers, 2));
    expect(report.runs.find((r) => r.policy === 'random')!.batches[0]!.exploreRate).toBe(1);
  });

  it('hands the imports to warmStart once before batch 0, in their CSV view, and puts them first in every history', async () => {
    const p = await prepareUser(plantedOptions({ scenario: 'warm-start' }));
    const calls: string[] = [];
    let warm: LabelledIndex[] = [];
    const histories: LabelledIndex[][] = [];
    const batches: LabelledIndex[][] = [];
    const candidatesSeen = new Set<number>();
    const watched: PolicyFactory = async (world, seed, opts) => {
      const inner = await createLinTsPolicy(world, seed, opts);
      const policy: Policy = {
        ...inner,
        async warmStart(items) {
          calls.push('warmStart');
          warm = items;
          await inner.warmStart!(items);
        },
        async select(candidates, b, size) {
          calls.push(`select ${b}`);
          candidates.forEach((c) => candidatesSeen.add(c));
          return inner.select(candidates, b, size);
        },
        async update(batch, history, b) {
          batches.push(batch);
          histories.push(history);
          return inner.update(batch, history, b);
        },
      };
      return policy;
    };
    await runPolicy(specFor(p, { factory: watched, batches: 3 }));
    expect(calls).toEqual(['warmStart', 'select 0', 'select 1', 'select 2']);
    const expected = importedKeepers(p.keepers, 3);
    expect(warm.map((w) => w.index)).toEqual(expected);
    for (const w of warm) {
      expect(w.keeper).toBe(true);
      expect(w.source).toBe('import');
      expect(w.release).toEqual(csvExportView(p.world.pool[w.index]!));
      expect(p.world.pool[w.index]!.styles.length).toBeGreaterThan(0); // the pool record has styles; the import does not
      expect(candidatesSeen.has(w.index)).toBe(false);
    }
    histories.forEach((h, b) => {
      expect(h.slice(0, warm.length)).toEqual(warm);
      expect(h.length).toBe(warm.length + 10 * b);
      expect(h.slice(warm.length).every((x) => x.source === 'user' && x.release === undefined)).toBe(true);
    });
    expect(batches.flat().every((x) => x.source === 'user')).toBe(true);
  });

  it('lin-ts learns the imports from the CSV view: their artist, not their (unseen) styles', async () => {
    const p = await prepareUser(plantedOptions({ scenario: 'warm-start' }));
    const pool = p.world.pool;
    // import every record of one artist, once as the CSV export shows them and once as the full pool records
    const artist = pool[0]!.artists[0]!;
    const ofArtist = pool.map((r, i) => (r.artists[0] === artist ? i : -1)).filter((i) => i >= 0);
    const asCsv = await createLinTsPolicy(p.world, 1);
    await asCsv.warmStart!(ofArtist.map((index) => ({ index, keeper: true, source: 'import', release: csvExportView(pool[index]!) })));
    const asPool = await createLinTsPolicy(p.world, 1);
    await asPool.warmStart!(ofArtist.map((index) => ({ index, keeper: true, source: 'import' })));
    const styles = new Set(ofArtist.flatMap((i) => pool[i]!.styles));
    const genres = new Set(ofArtist.flatMap((i) => pool[i]!.genres));
    const sharesStyle = pool.map((_, i) => i).filter((i) => pool[i]!.artists[0] !== artist && pool[i]!.styles.some((s) => styles.has(s)));
    const stranger = pool.map((_, i) => i).filter((i) => pool[i]!.artists[0] !== artist && !pool[i]!.genres.some((g) => genres.has(g)));
    expect(sharesStyle.length).toBeGreaterThan(10);
    expect(stranger.length).toBeGreaterThan(10);
    const meanScore = async (policy: Policy, idx: number[]) => {
      const scores = (await policy.select(idx, 0, 1)).scores!;
      return scores.reduce((s, x) => s + x, 0) / scores.length;
    };
    // how much more a record of the imports' styles scores than a stranger, in each view
    const styleLift = async (policy: Policy) => (await meanScore(policy, sharesStyle)) - (await meanScore(policy, stranger));
    const liftCsv = await styleLift(asCsv);
    const liftPool = await styleLift(asPool);
    // seen with their styles, the imports would lift every record of those styles; in the CSV view they cannot
    expect(liftPool, `lift with styles ${liftPool}, in the CSV view ${liftCsv}`).toBeGreaterThan(liftCsv + 0.1);
    expect(Math.abs(liftCsv)).toBeLessThan(0.05);
    // the artist is learned from the CSV view
    expect(await meanScore(asCsv, ofArtist)).toBeGreaterThan((await meanScore(asCsv, stranger)) + 0.2);
  });

  it('lin-ts with the import finds more keepers early than without it, on a taste the CSV fields carry (labels)', async () => {
    const p = await prepareUser(plantedOptions({ scenario: 'warm-start' }));
    // a collector who keeps everything on four labels
    const labels = [...new Set(p.world.pool.map((r) => r.labels[0]!.name))].sort().slice(0, 4);
    const keepers = Uint8Array.from(p.world.pool, (r) => (labels.includes(r.labels[0]!.name) ? 1 : 0));
    const withoutWarmStart: PolicyFactory = async (world, seed, opts) => {
      const { warmStart: _ignored, ...rest } = await createLinTsPolicy(world, seed, opts);
      return rest;
    };
    const early = async (factory?: PolicyFactory) => {
      let total = 0;
      for (const seed of [1, 2, 3]) {
        const run = await runPolicy(specFor(p, { keepers, ownLists: keepers, seed, batches: 2, factory }));
        total += run.batches.reduce((s, b) => s + b.keepers, 0);
      }
      return total;
    };
    const warm = await early();
    const cold = await early(withoutWarmStart);
    expect(warm, `with the import ${warm}, without ${cold}`).toBeGreaterThan(2 * cold);
  });
});

describe('warm-start-enriched', () => {
  it('imports the same keepers as warm-start, with the fields the pool holds for them', async () => {
    const seen: Release[][] = [];
    for (const scenario of ['warm-start', 'warm-start-enriched'] as const) {
      const p = await prepareUser(plantedOptions({ scenario }));
      const releases: Release[] = [];
      const factory: PolicyFactory = async () => ({
        name: 'recorder',
        async select(candidates, _b, size) {
          return { picks: candidates.slice(0, size).map((index) => ({ index, strategy: 'explore' as const })), exploreRate: 1, probs: null, scores: null, uncertainty: null };
        },
        async warmStart(imported: LabelledIndex[]) {
          releases.push(...imported.map((i) => i.release!));
        },
        async update() {},
        dispose() {},
      } satisfies Policy);
      await runPolicy({ world: p.world, keepers: p.keepers, shiftKeepers: null, scenario, policy: 'recorder', seed: 3, batches: 1, batchSize: 5, poolSize: 50, factory });
      seen.push(releases);
    }
    const [csv, enriched] = seen;
    expect(csv!.length).toBeGreaterThan(0);
    expect(csv!.map((r) => r.id)).toEqual(enriched!.map((r) => r.id));
    expect(csv!.every((r) => r.genres.length === 0 && r.styles.length === 0)).toBe(true);
    expect(enriched!.some((r) => r.genres.length > 0)).toBe(true);
  });
});

describe('warm-start-cold (the control)', () => {
  it('withholds the same keepers from the candidates without telling the learner about them', async () => {
    const p = await prepareUser(plantedOptions({ scenario: 'warm-start-cold' }));
    const withheld = new Set(importedKeepers(p.keepers, 3));
    const offered: number[] = [];
    let warmStarts = 0;
    let historySeen = -1;
    const factory: PolicyFactory = async () => ({
      name: 'recorder',
      async select(candidates, _b, size) {
        offered.push(...candidates);
        return { picks: candidates.slice(0, size).map((index) => ({ index, strategy: 'explore' as const })), exploreRate: 1, probs: null, scores: null, uncertainty: null };
      },
      async warmStart() {
        warmStarts++;
      },
      async update(_batch, history) {
        if (historySeen < 0) historySeen = history.length;
      },
      dispose() {},
    } satisfies Policy);
    const run = await runPolicy({ world: p.world, keepers: p.keepers, shiftKeepers: null, scenario: 'warm-start-cold', policy: 'recorder', seed: 3, batches: 3, batchSize: 5, poolSize: 80, factory });
    expect(withheld.size).toBeGreaterThan(0);
    expect(offered.some((i) => withheld.has(i))).toBe(false);
    expect(warmStarts).toBe(0);
    expect(historySeen).toBe(0);
    expect(run.imported).toBe(0);
  });
});
