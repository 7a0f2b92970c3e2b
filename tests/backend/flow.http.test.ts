// The acceptance scenario over real HTTP and a real SQLite file: pair, import a Discogs CSV export,
// choose the `seed` policy, select a batch (12 explore / 8 exploit at batch 0), label it, watch the online update produce a new
// model version, sync a second device (same labels, same weights, same predictions), restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { encodeReleases } from '../../shared/features';
import { loadArtifacts, predict } from '../../shared/model';
import { importFile } from '../../shared/import';
import { createImportSink } from '../../backend/records';
import type { App } from '../../backend/app';
import type { RunningServer } from '../../backend/server';
import { FIXTURES, errorOf, makeClient, openApp, pairDevice, syntheticReleases, tempDir, withServer, type Client } from './helpers';

describe('backend flow over HTTP', () => {
  const t = tempDir();
  const dbFile = path.join(t.dir, 'keepers.sqlite');
  let app: App;
  let server: RunningServer;
  let phone: Client;
  let laptop: Client;
  let laptopToken: string;
  let phoneToken: string;

  beforeAll(async () => {
    app = await openApp(dbFile, { trainer: 'worker' });
    server = await withServer(app);
    ({ client: phone, token: phoneToken } = await pairDevice(app, server.url, 'phone'));
    ({ client: laptop, token: laptopToken } = await pairDevice(app, server.url, 'laptop'));
  });

  afterAll(async () => {
    await server?.close();
    await app?.close();
    t.cleanup();
  });

  it('answers health without a token and refuses everything else without one', async () => {
    const health = await makeClient(server.url, null).health.query();
    expect(health.ok).toBe(true);
    expect(health.modelVersion).toMatch(/^\d{8}T\d{9}Z$/);
    const e = await errorOf(makeClient(server.url, null).models.latest.query());
    expect(e.code).toBe('UNAUTHORIZED');
    expect(e.message).toMatch(/pair this device/);
    expect((await errorOf(makeClient(server.url, 'kp_forged').labels.since.query({ cursor: 0 }))).code).toBe('UNAUTHORIZED');
  });

  it('imports the CSV export as keepers, then, with the seed policy chosen, selects a first batch of 12 explore / 8 exploit', async () => {
    const sink = await createImportSink(app.db, path.join(FIXTURES, 'collection.csv'), { asKeepers: true, kind: 'collection' });
    const result = await importFile(path.join(FIXTURES, 'collection.csv'), sink);
    await sink.finish('done', { format: result.format });
    expect(result.records).toBe(24);
    expect(result.problems).toEqual([]);
    // The candidate pool: records seen on Discogs pages.
    const pool = syntheticReleases(150);
    const up = await phone.records.upsert.mutate({ records: pool });
    expect(up).toEqual({ inserted: 150, updated: 0 });

    // The default learner runs unless the collector chooses; the specification's `seed` stays selectable.
    expect(await laptop.bandit.policy.query()).toMatchObject({ policy: 'neural-ts', defaultPolicy: 'neural-ts', chosenAt: null });
    expect(await phone.bandit.setPolicy.mutate({ policy: 'seed' })).toEqual({ policy: 'seed' });
    expect((await laptop.bandit.policy.query()).policy).toBe('seed');
    const badPolicy = await errorOf(phone.bandit.setPolicy.mutate({ policy: 'greedy' as never }));
    expect(badPolicy.code).toBe('BAD_REQUEST');
    expect(badPolicy.message).toMatch(/policy must be one of neural-ts, seed, random/);
    expect((await laptop.bandit.policy.query()).policy).toBe('seed');

    const before = await phone.models.latest.query();
    expect(before.batchCount).toBe(0);
    const batch = await phone.bandit.selectBatch.mutate({ poolSize: 100 });
    expect(batch.policy).toBe('seed');
    expect(batch.batchNumber).toBe(0);
    expect(batch.exploreRate).toBeCloseTo(0.6);
    expect(batch.items).toHaveLength(20);
    expect(batch.items.filter((i) => i.strategy === 'explore')).toHaveLength(12);
    expect(batch.items.filter((i) => i.strategy === 'exploit')).toHaveLength(8);
    const poolIds = new Set(pool.map((r) => r.id));
    // Imported keepers are labelled, so never candidates.
    for (const item of batch.items) {
      expect(poolIds.has(item.releaseId)).toBe(true);
      expect(item.uncertainty).toBeGreaterThanOrEqual(0);
      expect(item.reasons.length).toBeGreaterThan(0);
      expect(item.reasons[0]!.text).toMatch(item.strategy === 'exploit' ? /High-confidence/ : /Learning from this/);
    }
    // One training instance per pick, with what was known at selection time.
    const rows = await app.db.all<{ selection_strategy: string; uncertainty_at_selection: number; mean_at_selection: number; model_version: string; propensity: number }>(
      'SELECT * FROM training_instances WHERE batch_id = ? ORDER BY position',
      [batch.batchId],
    );
    expect(rows).toHaveLength(20);
    rows.forEach((r, i) => {
      expect(r.selection_strategy).toBe(batch.items[i]!.strategy);
      expect(r.uncertainty_at_selection).toBeCloseTo(batch.items[i]!.uncertainty, 6);
      expect(r.mean_at_selection).toBeCloseTo(batch.items[i]!.mean, 6);
      expect(r.model_version).toBe(before.version);
    });

    // Labelling: Jazz records are keepers. Submitted in two halves from two devices; one label resent.
    const records = await phone.records.byIds.query({ ids: batch.items.map((i) => i.releaseId) });
    const keeper = new Map(records.map((r) => [r.id, r.genres.includes('Jazz')]));
    const labels = batch.items.map((item, i) => ({
      clientId: `b0-${i}`,
      releaseId: item.releaseId,
      keeper: keeper.get(item.releaseId)!,
      batchId: batch.batchId,
      labelledAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    }));
    const first = await phone.labels.submit.mutate({ labels: labels.slice(0, 10) });
    expect(first).toMatchObject({ accepted: 10, duplicates: 0, training: false });
    const second = await laptop.labels.submit.mutate({ labels: labels.slice(9) });
    expect(second).toMatchObject({ accepted: 10, duplicates: 1, training: true, completedBatchIds: [batch.batchId] });

    // The online update runs in the worker; the server keeps answering meanwhile.
    const health = await phone.health.query();
    expect(health.ok).toBe(true);
    await app.training.idle();
    const after = await phone.models.latest.query();
    expect(after.version).not.toBe(before.version);
    expect(after.parentVersion).toBe(before.version);
    expect(after.batchCount).toBe(1);
    expect(after.kind).toBe('online');
    expect(after.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(after.metrics.batchLabels).toBe(20);
    const list = await phone.models.list.query();
    expect(list.map((v) => v.version)).toEqual([after.version, before.version]);

    // The next batch is batch 1: round(20 · 0.6 · 0.95) = 11 explore.
    const next = await laptop.bandit.selectBatch.mutate({ poolSize: 100 });
    expect(next.batchNumber).toBe(1);
    expect(next.items.filter((i) => i.strategy === 'explore')).toHaveLength(11);
    expect(next.modelVersion).toBe(after.version);
    const labelledIds = new Set(labels.map((l) => l.releaseId));
    expect(next.items.some((i) => labelledIds.has(i.releaseId))).toBe(false);
  });

  it('lets a second device converge: same labels, same weights, same predictions', async () => {
    const fromPhone = await phone.labels.since.query({ cursor: 0, limit: 5 });
    expect(fromPhone.labels).toHaveLength(5);
    expect(fromPhone.hasMore).toBe(true);
    const rest = await laptop.labels.since.query({ cursor: fromPhone.cursor });
    const all = [...fromPhone.labels, ...rest.labels];
    expect(all).toHaveLength(24 + 20);
    expect(new Set(all.map((l) => l.clientId)).size).toBe(44);
    expect((await laptop.labels.since.query({ cursor: rest.cursor })).labels).toEqual([]);

    const latest = await laptop.models.latest.query();
    const artifacts = await laptop.models.weights.query({ version: latest.version });
    expect(artifacts.sha256).toBe(latest.sha256);
    const local = await loadArtifacts(artifacts);
    try {
      const ids = all.slice(-5).map((l) => l.releaseId);
      const releases = await laptop.records.byIds.query({ ids });
      const mine = predict(local, encodeReleases(releases), { seed: 7 });
      const theirs = await phone.bandit.predict.query({ ids, seed: 7 });
      expect(theirs.map((p) => p.releaseId)).toEqual(ids);
      theirs.forEach((p, i) => {
        expect(p.mean).toBeCloseTo(mine[i]!.mean, 5);
        expect(p.uncertainty).toBeCloseTo(mine[i]!.uncertainty, 5);
      });
    } finally {
      local.dispose();
    }
  });

  it('explains, finds neighbours and summarises metrics from the stored evidence', async () => {
    const labels = (await phone.labels.since.query({ cursor: 0, limit: 5000 })).labels.filter((l) => l.source === 'user');
    const target = labels[0]!.releaseId;
    const similar = await phone.similar.records.query({ releaseId: target, k: 5 });
    expect(similar.neighbours).toHaveLength(5);
    expect(similar.neighbours.map((n) => n.releaseId)).not.toContain(target);
    const d = similar.neighbours.map((n) => n.distance);
    expect([...d].sort((a, b) => a - b)).toEqual(d);

    const why = await phone.explain.record.query({ releaseId: target });
    expect(why.reasons.length).toBeGreaterThan(0);
    expect(why.reasons[0]!.text).toMatch(/keep chance/);

    const m = await phone.metrics.summary.query();
    expect(m.batchCount).toBe(1);
    expect(m.keeperRate.exploit.labelled + m.keeperRate.explore.labelled).toBe(20);
    const expectedKeepers = labels.filter((l) => l.batchId !== null && l.keeper).length;
    expect(m.keeperRate.exploit.keepers + m.keeperRate.explore.keepers).toBe(expectedKeepers);
    expect(m.explorationRatePerBatch[0]).toMatchObject({ batchNumber: 0, explore: 12, exploit: 8 });
    expect(m.ece).toBeGreaterThanOrEqual(0);
    expect(m.silhouette).not.toBeNull();
    expect(m.counts.devices).toBe(2);
  });

  it('refuses bad input with readable messages and changes nothing', async () => {
    const before = await phone.labels.since.query({ cursor: 0, limit: 5000 });
    const wrongType = await errorOf(phone.labels.submit.mutate({ labels: [{ clientId: 'x', releaseId: 'abc' as unknown as number, keeper: true, labelledAt: new Date().toISOString() }] }));
    expect(wrongType.code).toBe('BAD_REQUEST');
    expect(wrongType.message).toMatch(/labels\[0\]\.releaseId/);
    const unknown = await errorOf(
      phone.labels.submit.mutate({
        labels: [
          { clientId: 'ok-1', releaseId: 100_140, keeper: true, labelledAt: new Date().toISOString() },
          { clientId: 'bad-1', releaseId: 424242, keeper: true, labelledAt: new Date().toISOString() },
        ],
      }),
    );
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.message).toMatch(/Unknown release id 424242/);
    expect((await errorOf(phone.models.weights.query({ version: 'nope' }))).code).toBe('NOT_FOUND');
    expect((await errorOf(phone.models.rollback.mutate({ version: 'nope' }))).code).toBe('NOT_FOUND');
    const badRecord = await errorOf(phone.records.upsert.mutate({ records: [{ id: -3, title: 'x' } as never] }));
    expect(badRecord.code).toBe('BAD_REQUEST');
    expect(badRecord.message).toMatch(/records\[0\]\.id/);
    const huge = await errorOf(phone.records.upsert.mutate({ records: syntheticReleases(1000, 500_000) }));
    expect(huge.code).toBe('PAYLOAD_TOO_LARGE');
    expect(huge.message).toMatch(/too large/);
    const after = await phone.labels.since.query({ cursor: 0, limit: 5000 });
    expect(after.labels).toEqual(before.labels);
    expect((await phone.records.byIds.query({ ids: [500_000] }))).toEqual([]);

    // A label for a record seen on a page is accepted with the record.
    const [page] = syntheticReleases(1, 777_000);
    const ok = await phone.labels.submit.mutate({ labels: [{ clientId: 'page-1', releaseId: 777_000, keeper: false, labelledAt: new Date().toISOString(), record: page }] });
    expect(ok.accepted).toBe(1);
    expect((await phone.records.byIds.query({ ids: [777_000] }))[0]?.title).toBe(page!.title);
  });

  it('keeps every label when two devices submit concurrently', async () => {
    const ids = syntheticReleases(150).slice(120).map((r) => r.id);
    const now = new Date().toISOString();
    const mk = (dev: string) => ids.map((releaseId, i) => ({ clientId: `${dev}-${i}`, releaseId, keeper: i % 2 === 0, labelledAt: now }));
    const results = await Promise.all([
      ...mk('a').map((l) => phone.labels.submit.mutate({ labels: [l] })),
      ...mk('b').map((l) => laptop.labels.submit.mutate({ labels: [l] })),
    ]);
    expect(results.reduce((s, r) => s + r.accepted, 0)).toBe(60);
    const stored = await app.db.get<{ n: number }>("SELECT count(*) AS n FROM labels WHERE client_id LIKE 'a-%' OR client_id LIKE 'b-%'");
    expect(stored!.n).toBe(60);
  });

  it('rolls back to an earlier version, and revoking a device locks it out', async () => {
    const versions = await phone.models.list.query();
    const initial = versions.at(-1)!.version;
    const r = await phone.models.rollback.mutate({ version: initial });
    expect(r.version).toBe(initial);
    expect((await laptop.models.latest.query()).version).toBe(initial);
    expect((await laptop.health.query()).modelVersion).toBe(initial);
    const devices = await phone.devices.list.query();
    const laptopId = devices.find((d) => d.name === 'laptop')!.id;
    await phone.devices.revoke.mutate({ deviceId: laptopId });
    expect((await errorOf(makeClient(server.url, laptopToken).models.latest.query())).code).toBe('UNAUTHORIZED');
  });

  it('loses nothing across a restart', async () => {
    const labelsBefore = await phone.labels.since.query({ cursor: 0, limit: 5000 });
    const latestBefore = await phone.models.latest.query();
    await server.close();
    await app.close();
    app = await openApp(dbFile, { trainer: 'worker' });
    server = await withServer(app);
    // The phone's token survives the restart (its hash is stored); the revoked laptop stays locked out.
    const phoneAgain = makeClient(server.url, phoneToken);
    expect(await phoneAgain.labels.since.query({ cursor: 0, limit: 5000 })).toEqual(labelsBefore);
    expect(await phoneAgain.models.latest.query()).toEqual(latestBefore);
    expect((await errorOf(makeClient(server.url, laptopToken).models.latest.query())).code).toBe('UNAUTHORIZED');
    // Selection still works on the reopened database (same tables, same active version).
    const batch = await phoneAgain.bandit.selectBatch.mutate({ poolSize: 50 });
    expect(batch.modelVersion).toBe(latestBefore.version);
  });
});
