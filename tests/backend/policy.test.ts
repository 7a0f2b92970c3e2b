// The bandit policy as a per-user setting: stored (a database from before the setting moves to the
// default, an explicit choice is never overwritten), read and chosen through tRPC, run by every batch
// (recorded with it), and used by each batch's online update.
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Db, loadMigrations, migrate } from '../../backend/db';
import { selectBatch } from '../../backend/bandit/selection';
import { latestLabelled, submitLabels } from '../../backend/labels';
import { upsertReleases } from '../../backend/records';
import { getArtifacts, getBanditState } from '../../backend/models';
import { trainingConfig } from '../../backend/bandit/policy';
import type { App } from '../../backend/app';
import { DEFAULT_CONFIG, loadArtifacts, saveArtifacts } from '../../shared/model';
import { learn, onlineUpdate, selectThompson } from '../../shared/bandit';
import type { Release } from '../../shared/schemas';
import { callerFor, errorOf, openApp, syntheticReleases, tempDir } from './helpers';
import { createPairingCode, redeemPairingCode } from '../../backend/auth';

async function pairedCaller(app: App) {
  const { code } = await createPairingCode(app.db);
  const { token } = await redeemPairingCode(app.db, code, 'test');
  return callerFor(app, token);
}

const releases = syntheticReleases(200);
const byId = new Map(releases.map((r) => [r.id, r]));
const isKeeper = (r: Release) => r.genres.includes('Jazz');

/** Labels every pick of a batch (Jazz records are keepers); the batch is then complete. */
async function labelBatch(app: App, batchId: number, ids: number[], tag: string): Promise<void> {
  const res = await submitLabels(
    app.db,
    null,
    ids.map((releaseId, i) => ({ clientId: `${tag}-${i}`, releaseId, keeper: isKeeper(byId.get(releaseId)!), batchId, labelledAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() })),
  );
  expect(res.completedBatchIds).toEqual([batchId]);
}

async function decision<T>(app: App, kind: string): Promise<T> {
  const row = await app.db.get<{ data_json: string }>('SELECT data_json FROM decision_log WHERE kind = ? ORDER BY id DESC LIMIT 1', [kind]);
  return JSON.parse(row!.data_json) as T;
}

async function unlabelledReleases(app: App): Promise<Release[]> {
  const rows = await app.db.all<{ release_json: string }>('SELECT release_json FROM records WHERE id NOT IN (SELECT release_id FROM labels) ORDER BY id');
  return rows.map((r) => JSON.parse(r.release_json) as Release);
}

describe('policy setting', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('moves a database that never chose to the default, and never overwrites an explicit choice', async () => {
    const file = path.join(t.dir, 'old.sqlite');
    // A database as the previous version left it: schema 1, policy 'seed' (its column default), never chosen.
    const old = await Db.open(file, { migrate: false });
    await migrate(old, loadMigrations().filter((m) => m.version === 1));
    await old.run("INSERT INTO bandit_models (id, batch_count, policy, updated_at) VALUES (1, 0, 'seed', '2026-01-01T00:00:00.000Z')");
    await old.close();

    const app = await openApp(file);
    expect(await getBanditState(app.db)).toMatchObject({ policy: 'neural-ts', policyChosenAt: null });
    expect(await app.db.get('SELECT policy, policy_chosen_at FROM bandit_models')).toEqual({ policy: 'neural-ts', policy_chosen_at: null });
    const caller = await pairedCaller(app);
    const shown = await caller.bandit.policy();
    expect(shown).toMatchObject({ policy: 'neural-ts', defaultPolicy: 'neural-ts', chosenAt: null });
    expect(shown.available.map((p) => p.name)).toEqual(['neural-ts', 'seed', 'random']);
    for (const p of shown.available) expect(p.description.length).toBeGreaterThan(20);

    expect(await caller.bandit.setPolicy({ policy: 'seed' })).toEqual({ policy: 'seed' });
    const bad = await errorOf(caller.bandit.setPolicy({ policy: 'lin-ts' as never }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/^Invalid input: policy: policy must be one of neural-ts, seed, random$/);
    expect(await decision(app, 'policy')).toMatchObject({ policy: 'seed', previous: 'neural-ts', via: 'api' });
    await app.close();

    // Reopened (migrations, the default applied to unchosen rows): the choice stays.
    const again = await openApp(file);
    const state = await getBanditState(again.db);
    expect(state.policy).toBe('seed');
    expect(state.policyChosenAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect((await (await pairedCaller(again)).bandit.policy()).policy).toBe('seed');
    await again.close();
  });

  it('records each batch with its policy; an explicit policy wins for that batch only; random picks uniformly', async () => {
    const app = await openApp(path.join(t.dir, 'batches.sqlite'), { autoTrain: false });
    await upsertReleases(app.db, releases, 'page');
    const caller = await pairedCaller(app);
    await caller.bandit.setPolicy({ policy: 'random' });
    const random = await caller.bandit.selectBatch({ poolSize: 80, batchSize: 20 });
    expect(random.policy).toBe('random');
    expect(random.exploreRate).toBe(1);
    expect(random.items).toHaveLength(20);
    expect(new Set(random.items.map((i) => i.releaseId)).size).toBe(20);
    for (const item of random.items) {
      expect(item.strategy).toBe('explore');
      expect(item.propensity).toBeCloseTo(20 / 80, 12);
      expect(item.reasons.length).toBeGreaterThan(0);
    }
    // seed, asked for one batch: the specified 12 explore / 8 exploit at batch 0.
    const seed = await caller.bandit.selectBatch({ poolSize: 80, batchSize: 20, policy: 'seed' });
    expect(seed.policy).toBe('seed');
    expect(seed.exploreRate).toBeCloseTo(0.6, 12);
    expect(seed.items.filter((i) => i.strategy === 'explore')).toHaveLength(12);
    expect(seed.items.filter((i) => i.strategy === 'exploit')).toHaveLength(8);
    expect(seed.items.every((i) => i.propensity === 1)).toBe(true);
    expect((await caller.bandit.policy()).policy).toBe('random');
    const rows = await app.db.all<{ id: number; policy: string }>('SELECT id, policy FROM batches ORDER BY id');
    expect(rows).toEqual([
      { id: random.batchId, policy: 'random' },
      { id: seed.batchId, policy: 'seed' },
    ]);
    expect(await decision(app, 'batch')).toMatchObject({ batchId: seed.batchId, policy: 'seed' });
    const summary = await caller.metrics.summary();
    expect(summary.policy).toBe('random');
    expect(summary.explorationRatePerBatch.map((b) => b.policy)).toEqual(['random', 'seed']);
    await app.close();
  });

  it('trains each batch by its policy (seed: onlineUpdate at lr 1e-4; neural-ts: learn with its head); neural-ts batches are Thompson picks', async () => {
    const app = await openApp(path.join(t.dir, 'dispatch.sqlite'), { autoTrain: false });
    await upsertReleases(app.db, releases, 'page');
    // The first model of a new database is the default learner's.
    const initial = (await getArtifacts(app.db, (await getBanditState(app.db)).activeVersion!))!;
    expect(initial.config.learningRate).toBe(3e-3);
    expect(initial.config.replay).toBe(100);

    // 1. A seed batch: trained by onlineUpdate with the specified values, whatever the model's config says.
    const b1 = await selectBatch(app, null, { poolSize: 60, batchSize: 10, policy: 'seed' });
    await labelBatch(app, b1.batchId, b1.items.map((i) => i.releaseId), 's');
    const v1 = (await app.training.onlineUpdate(b1.batchId))!;
    const d1 = await decision<{ policy: string; learner: string; seed: number; parent: string }>(app, 'online-update');
    expect(d1).toMatchObject({ policy: 'seed', learner: 'online-update', parent: initial.modelVersion });
    const a1 = (await getArtifacts(app.db, v1))!;
    expect(a1.posterior).toBeUndefined();
    const batch1 = b1.items.map((i) => ({ release: byId.get(i.releaseId)!, keeper: isKeeper(byId.get(i.releaseId)!) }));
    const replaySeed = async (config: Partial<typeof DEFAULT_CONFIG>): Promise<string> => {
      const m = await loadArtifacts(initial);
      await onlineUpdate(m, { batch: batch1, history: [], batchNumber: 0 }, { seed: d1.seed, config });
      const a = await saveArtifacts(m, { modelVersion: 'replay' });
      m.dispose();
      return a.sha256;
    };
    expect(await replaySeed(trainingConfig('seed'))).toBe(a1.sha256);
    expect(trainingConfig('seed').learningRate).toBe(DEFAULT_CONFIG.learningRate);
    // The same update at the model's own learning rate (3e-3) gives other weights: the check can fail.
    expect(await replaySeed({})).not.toBe(a1.sha256);

    // 2. A neural-ts batch (the default): no head fitted yet, so every pick explores.
    const b2 = await selectBatch(app, null, { poolSize: 60, batchSize: 10 });
    expect(b2.policy).toBe('neural-ts');
    expect(b2.items.every((i) => i.strategy === 'explore')).toBe(true);
    await labelBatch(app, b2.batchId, b2.items.map((i) => i.releaseId), 'n');
    const v2 = (await app.training.onlineUpdate(b2.batchId))!;
    const d2 = await decision<{ policy: string; learner: string; seed: number }>(app, 'online-update');
    expect(d2).toMatchObject({ policy: 'neural-ts', learner: 'learn' });
    const a2 = (await getArtifacts(app.db, v2))!;
    expect(a2.posterior?.y).toHaveLength(20);
    expect(a2.metrics?.posteriorRows).toBe(20);
    // Replayed with learn() on the same labels: the same weights and head.
    const m = await loadArtifacts(a1);
    const history = (await latestLabelled(app.db, { excludeReleaseIds: b2.items.map((i) => i.releaseId) })).map(({ release, keeper, source }) => ({ release, keeper, source }));
    const batch2 = b2.items.map((i) => ({ release: byId.get(i.releaseId)!, keeper: isKeeper(byId.get(i.releaseId)!), source: 'user' as const }));
    await learn(m, { batch: batch2, history, batchNumber: 1 }, { seed: d2.seed, config: trainingConfig('neural-ts') });
    expect((await saveArtifacts(m, { modelVersion: 'replay' })).sha256).toBe(a2.sha256);
    m.dispose();

    // 3. The next neural-ts batch is Thompson sampling over that head: replayed from the logged seed on
    // the same pool (every unlabelled record), it picks the same records.
    const pool = await unlabelledReleases(app);
    const b3 = await selectBatch(app, null, { poolSize: 1000, batchSize: 10 });
    expect(b3.modelVersion).toBe(v2);
    const d3 = await decision<{ seed: number; policy: string }>(app, 'batch');
    expect(d3.policy).toBe('neural-ts');
    const model = await loadArtifacts(a2);
    const replay = selectThompson(model, pool, { batchSize: 10, seed: d3.seed });
    model.dispose();
    expect(b3.items.map((i) => i.releaseId).sort()).toEqual(replay.items.map((i) => i.releaseId).sort());
    expect(b3.items.some((i) => i.strategy === 'exploit')).toBe(true);
    for (const item of b3.items) {
      expect(item.propensity).toBeGreaterThan(0);
      expect(item.propensity).toBeLessThanOrEqual(1);
      expect(item.reasons.length).toBeGreaterThan(0);
    }
    // With a head, bandit.predict's numbers are the posterior's.
    const caller = await pairedCaller(app);
    const [p] = await caller.bandit.predict({ ids: [b3.items[0]!.releaseId] });
    expect(p!.mean).toBeCloseTo(b3.items[0]!.mean, 9);
    expect(p!.uncertainty).toBeCloseTo(b3.items[0]!.uncertainty, 9);
    await app.close();
  });
});
