import { describe, expect, it } from 'vitest';
import { isKeeper, loadKeepers, loadPool, mergePool } from '../../shared/sim/data';
import { prepareUser } from '../../shared/sim/simulate';
import { dataPath, hasData } from '../helpers/data';
import { fixture, plantedOptions } from './helpers';

describe('simulator inputs', () => {
  it('reads one user of a normalised collections .jsonl and matches keepers by release id', async () => {
    const pool = await loadPool([fixture('pool.jsonl')]);
    expect(pool).toHaveLength(600);
    const planted = await loadKeepers(fixture('collections.jsonl'), { user: 'planted' });
    const jazz = await loadKeepers(fixture('collections.jsonl'), { user: 'jazzfan' });
    expect(planted.releaseIds.size).toBe(61);
    expect(jazz.releaseIds.size).toBe(123);
    const kept = pool.filter((r) => isKeeper(planted, r));
    expect(kept).toHaveLength(61);
    // the planted taste: Techno / Deep House or a favourite artist
    expect(kept.filter((r) => r.styles.includes('Techno') || r.styles.includes('Deep House')).length).toBeGreaterThan(40);
  });

  it('matches on the master id when a keeper entry has no release id', async () => {
    const pool = await loadPool([fixture('pool.jsonl')]);
    const k = { releaseIds: new Set<number>(), masterIds: new Set([77]), releases: [] };
    const withMaster = { ...pool[0]!, masterId: 77 };
    expect(isKeeper(k, withMaster)).toBe(true);
    expect(isKeeper(k, pool[1]!)).toBe(false);
  });

  it('asks for --user when a .jsonl holds several users, listing them', async () => {
    await expect(loadKeepers(fixture('collections.jsonl'))).rejects.toThrow(/several users: choose one with --user.*planted \(collection\): 61/);
    await expect(loadKeepers(fixture('collections.jsonl'), { user: 'nobody' })).rejects.toThrow(/no entries for user "nobody"/);
    await expect(loadKeepers(fixture('collections.jsonl'), { user: 'planted', kinds: ['wantlist'] })).rejects.toThrow(/kind wantlist/);
  });

  it('fails on malformed .jsonl keepers files with the file and line', async () => {
    await expect(loadKeepers(fixture('broken-json.jsonl'))).rejects.toThrow(/broken-json\.jsonl line 3: not valid JSON/);
    await expect(loadKeepers(fixture('bad-id.jsonl'))).rejects.toThrow(/bad-id\.jsonl line 2: "release_id" must be a positive integer, got "abc"/);
  });

  it('reads a Discogs collection CSV export through the importer; keepers missing from the pool join it', async () => {
    const keepers = await loadKeepers(fixture('export.csv'));
    expect([...keepers.releaseIds].sort()).toEqual([100000, 999001]);
    const pool = mergePool(await loadPool([fixture('pool.jsonl')]), keepers);
    expect(pool).toHaveLength(601);
    expect(pool.find((r) => r.id === 999001)?.artists).toEqual(['Someone New']);
  });

  it('fails on a CSV export with a bad row, naming the line', async () => {
    await expect(loadKeepers(fixture('export-bad-row.csv'))).rejects.toThrow(/malformed keepers file .*export-bad-row\.csv line 3/);
  });

  it('reads Discogs API collection pages', async () => {
    const keepers = await loadKeepers(fixture('collection-page.json'));
    expect([...keepers.releaseIds].sort()).toEqual([100007, 999002]);
    expect(keepers.releases.find((r) => r.id === 999002)?.styles).toEqual(['Deep House']);
  });

  it('fails on a pool line that is not a release, naming the line', async () => {
    await expect(loadPool([fixture('bad-id.jsonl')])).rejects.toThrow(/bad-id\.jsonl line 2: not a release record/);
  });

  it('needs --shift-user for the shift scenario', async () => {
    await expect(prepareUser(plantedOptions({ scenario: 'shift' }))).rejects.toThrow(/--shift-user/);
  });
});

describe.skipIf(!hasData)('simulator inputs on the real canonical data (../shared/data)', () => {
  it('finds every canonical keeper of the reference users in the canonical pool', async () => {
    const D = dataPath('derived', 'canonical');
    for (const [user, expected] of [['tylergaw', 301], ['wookie61', 262], ['zapanda', 342]] as const) {
      const p = await prepareUser({ keepersFile: `${D}/collections.jsonl`, user, kinds: ['collection'], poolFiles: [`${D}/pool.jsonl`], scenario: 'stationary', shiftUser: null });
      expect(p.world.pool).toHaveLength(7257);
      expect(p.keepersInPool).toBe(expected);
      expect(p.keepersMissingFromPool).toBe(0);
    }
  });
});
