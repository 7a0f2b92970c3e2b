// Regression tests of issue 10's backend defects (each failed before its fix): a rollback undone by a
// concurrent online update, labelledAt compared as text, a batch trained twice, "Promoted" printed for
// a blocked promotion, no caps inside records / on batches / on the body limit / on pairing guesses, a
// stack trace in metrics.summary, reads that saw another request's open transaction, a migration check
// outside its transaction and synchronous=NORMAL.
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { selectBatch } from '../../backend/bandit/selection';
import { submitLabels, latestLabelled } from '../../backend/labels';
import { upsertReleases, upsertReleasesIn } from '../../backend/records';
import { getBanditState, setActiveVersion } from '../../backend/models';
import { InProcessTrainer, type Trainer } from '../../backend/models/training/trainer';
import { Db, loadMigrations, migrate } from '../../backend/db';
import { startServer } from '../../backend/server';
import { createImportSink } from '../../backend/records';
import { importFile } from '../../shared/import';
import { createPairingCode } from '../../backend/auth';
import type { App } from '../../backend/app';
import { callerFor, errorOf, makeClient, openApp, pairDevice, syntheticReleases, tempDir, withServer } from './helpers';

const RELEASES = syntheticReleases(200);

async function labelOneBatch(app: App, tag: string): Promise<number> {
  const batch = await selectBatch(app, null, { poolSize: 60, batchSize: 6 });
  const byId = new Map(RELEASES.map((r) => [r.id, r]));
  const res = await submitLabels(
    app.db,
    null,
    batch.items.map((it, i) => ({ clientId: `${tag}-${i}`, releaseId: it.releaseId, keeper: byId.get(it.releaseId)!.genres.includes('Jazz'), batchId: batch.batchId, labelledAt: new Date().toISOString() })),
  );
  expect(res.completedBatchIds).toEqual([batch.batchId]);
  return batch.batchId;
}

/** An in-process trainer with a hook run after training and before the result is handed back. */
function hookedTrainer(): Trainer & { afterOnline: (() => Promise<void>) | null; afterFull: (() => Promise<void>) | null } {
  const real = new InProcessTrainer();
  const t = {
    afterOnline: null as (() => Promise<void>) | null,
    afterFull: null as (() => Promise<void>) | null,
    async online(job: Parameters<Trainer['online']>[0]) {
      const r = await real.online(job);
      if (t.afterOnline) await t.afterOnline();
      return r;
    },
    async full(job: Parameters<Trainer['full']>[0]) {
      const r = await real.full(job);
      if (t.afterFull) await t.afterFull();
      return { ...r, promote: true };
    },
    close: () => real.close(),
  };
  return t;
}

describe('issue 10: backend defects', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('1: a rollback made while an online update runs is not undone (the update activates only if its parent is still active)', async () => {
    const trainer = hookedTrainer();
    const app = await openApp(path.join(t.dir, 'rollback.sqlite'), { autoTrain: false, trainer });
    await upsertReleases(app.db, RELEASES, 'page');
    const v0 = (await getBanditState(app.db)).activeVersion!;
    const v1 = await app.training.onlineUpdate(await labelOneBatch(app, 'a'));
    expect((await getBanditState(app.db)).activeVersion).toBe(v1);
    const batch2 = await labelOneBatch(app, 'b');
    // The collector rolls back to v0 while batch 2 trains on top of v1.
    trainer.afterOnline = () => app.db.transaction((q) => setActiveVersion(q, v0));
    const v2 = await app.training.onlineUpdate(batch2);
    trainer.afterOnline = null;
    const state = await getBanditState(app.db);
    expect(state.activeVersion).toBe(v0);
    expect(state.batchCount).toBe(2);
    const row = await app.db.get<{ parent_version: string }>('SELECT parent_version FROM model_versions WHERE version = ?', [v2]);
    expect(row!.parent_version).toBe(v1);
    expect((await app.db.get<{ trained_version: string }>('SELECT trained_version FROM batches WHERE id = ?', [batch2]))!.trained_version).toBe(v2);
    await app.close();
  });

  it('6: a completed batch is trained once when two processes (server and `keepers train`) resume it together', async () => {
    const file = path.join(t.dir, 'twice.sqlite');
    const setup = await openApp(file, { autoTrain: false });
    await upsertReleases(setup.db, RELEASES, 'page');
    const batchId = await labelOneBatch(setup, 'c');
    const before = await getBanditState(setup.db);
    await setup.close();
    // Both start training before either commits.
    let started = 0;
    let release!: () => void;
    const bothStarted = new Promise<void>((r) => (release = r));
    const gated = (): Trainer => {
      const real = new InProcessTrainer();
      return {
        async online(job) {
          if (++started === 2) release();
          await bothStarted;
          return real.online(job);
        },
        full: (job) => real.full(job),
        close: () => real.close(),
      };
    };
    const [a, b] = await Promise.all([openApp(file, { autoTrain: false, trainer: gated() }), openApp(file, { autoTrain: false, trainer: gated() })]);
    const results = await Promise.all([a.training.onlineUpdate(batchId), b.training.onlineUpdate(batchId)]);
    expect(results.filter((r) => r !== null)).toHaveLength(1);
    const after = await getBanditState(a.db);
    expect(after.batchCount).toBe(before.batchCount + 1);
    expect(after.activeVersion).toBe(results.find((r) => r !== null));
    const logged = await a.db.all("SELECT 1 FROM decision_log WHERE kind = 'online-update'");
    expect(logged).toHaveLength(1);
    await Promise.all([a.close(), b.close()]);
  });

  it('6: full training reports "not promoted" when a rollback meanwhile blocked its promotion', async () => {
    const trainer = hookedTrainer();
    const app = await openApp(path.join(t.dir, 'full.sqlite'), { autoTrain: false, trainer });
    await upsertReleases(app.db, RELEASES, 'page');
    const v0 = (await getBanditState(app.db)).activeVersion!;
    const v1 = (await app.training.onlineUpdate(await labelOneBatch(app, 'd')))!;
    trainer.afterFull = () => app.db.transaction((q) => setActiveVersion(q, v0));
    const report = await app.training.fullTrain({ epochs: 1 });
    expect(report.previous).toBe(v1);
    expect(report.promoted).toBe(false);
    expect(report.superseded).toBe(true);
    expect((await getBanditState(app.db)).activeVersion).toBe(v0);
    const d = await app.db.get<{ data_json: string }>("SELECT data_json FROM decision_log WHERE kind = 'full-training'");
    expect(JSON.parse(d!.data_json)).toMatchObject({ promoted: false, superseded: true });
    await app.close();
  });

  it('2: labelledAt is compared as an instant (any offset), and a date in the future cannot win for ever', async () => {
    const app = await openApp(path.join(t.dir, 'time.sqlite'), { autoTrain: false });
    const [r1, r2] = syntheticReleases(2, 900_000, 3);
    // 19:00+09:00 is 10:00Z: the correction at 11:00Z is later, though its text sorts first.
    await submitLabels(app.db, null, [{ clientId: 't1', releaseId: r1!.id, keeper: true, labelledAt: '2026-12-01T19:00:00+09:00', record: r1 }]);
    await submitLabels(app.db, null, [{ clientId: 't2', releaseId: r1!.id, keeper: false, labelledAt: '2026-12-01T11:00:00Z', record: r1 }]);
    // A device whose clock says 9999.
    await submitLabels(app.db, null, [{ clientId: 't3', releaseId: r2!.id, keeper: true, labelledAt: '9999-12-31T23:59:59Z', record: r2 }]);
    await new Promise((r) => setTimeout(r, 5));
    await submitLabels(app.db, null, [{ clientId: 't4', releaseId: r2!.id, keeper: false, labelledAt: new Date().toISOString(), record: r2 }]);
    const latest = new Map((await latestLabelled(app.db)).map((l) => [l.release.id, l]));
    expect(latest.get(r1!.id)!.keeper).toBe(false);
    expect(latest.get(r2!.id)!.keeper).toBe(false);
    const stored = await app.db.all<{ labelled_at: string }>('SELECT labelled_at FROM labels');
    for (const s of stored) expect(s.labelled_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(stored.every((s) => Date.parse(s.labelled_at) <= Date.now())).toBe(true);
    await app.close();
  });

  it('2: migration 003 converts stored labels to UTC and clamps future ones to their arrival', async () => {
    const file = path.join(t.dir, 'migrate-003.sqlite');
    const old = await Db.open(file, { migrate: false });
    await migrate(old, loadMigrations().filter((m) => m.version < 3));
    await upsertReleases(old, syntheticReleases(2, 950_000, 4), 'page');
    await old.run(
      "INSERT INTO labels (client_id, release_id, keeper, labelled_at, received_at) VALUES ('m1', 950000, 1, '2026-12-01T19:00:00+09:00', '2026-12-01T10:05:00.000Z'), ('m2', 950001, 1, '9999-12-31T23:59:59Z', '2026-12-01T10:06:00.000Z')",
    );
    await migrate(old);
    const rows = await old.all<{ client_id: string; labelled_at: string }>('SELECT client_id, labelled_at FROM labels ORDER BY client_id');
    expect(rows).toEqual([
      { client_id: 'm1', labelled_at: '2026-12-01T10:00:00.000Z' },
      { client_id: 'm2', labelled_at: '2026-12-01T10:06:00.000Z' },
    ]);
    await old.close();
  });

  it('7: caps inside records, on tRPC batches, on the body limit and on pairing guesses; no stack trace in metrics.summary', async () => {
    const real = new InProcessTrainer();
    const app = await openApp(path.join(t.dir, 'caps.sqlite'), {
      trainer: {
        online: () => Promise.reject(new Error('tensor shape mismatch\n    at runOnline (/home/someone/keepers/backend/training/jobs.ts:120:11)\n    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)')),
        full: (job) => real.full(job),
        close: () => real.close(),
      },
    });
    const server = await withServer(app);
    try {
      const { client, token } = await pairDevice(app, server.url, 'caps');
      const [base] = syntheticReleases(1, 800_000, 9);
      const count = async () => (await app.db.get<{ n: number }>('SELECT count(*) AS n FROM records'))!.n;
      const before = await count();
      // Over HTTP (the test server's body limit is 256 KiB) and through the caller (no body limit at all).
      for (const bad of [{ ...base!, genres: Array.from({ length: 2000 }, (_, i) => `g${i}`) }, { ...base!, title: 'x'.repeat(5000) }]) {
        const e = await errorOf(client.records.upsert.mutate({ records: [bad] }));
        expect(e.code).toBe('BAD_REQUEST');
        expect(e.message).toMatch(/too large/);
      }
      const caller = await callerFor(app, token);
      await expect(caller.records.upsert({ records: [{ ...base!, title: 'x'.repeat(7 * 1024 * 1024) }] })).rejects.toThrow(/too large: title/);
      await expect(caller.labels.submit({ labels: [{ clientId: 'big', releaseId: base!.id, keeper: true, labelledAt: new Date().toISOString(), record: { ...base!, styles: Array.from({ length: 100_000 }, () => 'Dub') } }] })).rejects.toThrow(/too large/);
      expect(await count()).toBe(before);

      // 500 calls in one batched request: refused as a whole.
      const paths = Array.from({ length: 500 }, () => 'health').join(',');
      const res = await fetch(`${server.url}/${paths}?batch=1&input=${encodeURIComponent('{}')}`);
      expect(res.status).toBe(400);
      const ok = await fetch(`${server.url}/health,health?batch=1&input=${encodeURIComponent('{}')}`);
      expect(ok.status).toBe(200);

      // The body limit can be changed, not turned off.
      await expect(startServer(app, { port: 0, maxBodyBytes: 0 })).rejects.toThrow(/cannot be turned off/);
      await expect(startServer(app, { port: 0, maxBodyBytes: Infinity })).rejects.toThrow(/cannot be turned off/);

      // Pairing: after 10 wrong codes, even the right one waits.
      const anon = makeClient(server.url, null);
      const codes: string[] = [];
      for (let i = 0; i < 12; i++) codes.push((await errorOf(anon.devices.pair.mutate({ pairingCode: `WRONG-${i}AAA`, deviceName: 'guess' }))).code);
      expect(codes.slice(0, 10).every((c) => c === 'UNAUTHORIZED')).toBe(true);
      expect(codes.slice(10)).toEqual(['TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS']);
      const { code } = await createPairingCode(app.db);
      expect((await errorOf(anon.devices.pair.mutate({ pairingCode: code, deviceName: 'late' }))).code).toBe('TOO_MANY_REQUESTS');

      // A worker's stack trace never reaches metrics.summary.
      await app.training.scheduleOnlineUpdates([await (async () => {
        await upsertReleases(app.db, RELEASES, 'page');
        return labelOneBatch(app, 'e');
      })()]);
      const summary = await client.metrics.summary.query();
      expect(summary.lastTrainingError).toBe('tensor shape mismatch');
      expect(JSON.stringify(summary)).not.toMatch(/\/home\/someone|jobs\.ts|processTicks/);
    } finally {
      await server.close();
      await app.close();
    }
  });

  it('7: an imported record over the caps is a problem with file and line, the others are stored', async () => {
    const app = await openApp(path.join(t.dir, 'import-caps.sqlite'), { autoTrain: false });
    const file = path.join(t.dir, 'big.jsonl');
    const doc = (id: number, extra: Record<string, unknown> = {}) => JSON.stringify({ id, title: `Doc ${id}`, artists: [{ name: 'A' }], genres: ['Rock'], ...extra });
    writeFileSync(file, [doc(501), doc(502, { title: 'y'.repeat(20_000) }), doc(503, { styles: Array.from({ length: 5000 }, (_, i) => `s${i}`) }), doc(504)].join('\n') + '\n');
    const result = await importFile(file, await createImportSink(app.db, file), { format: 'releases-jsonl' });
    expect(result.problems.map((p) => [p.line, /too large/.test(p.message)])).toEqual([
      [2, true],
      [3, true],
    ]);
    expect((await app.db.all<{ id: number }>('SELECT id FROM records ORDER BY id')).map((r) => r.id)).toEqual([501, 504]);
    await app.close();
  });

  it('8: reads never see another request\'s open transaction; migrations are decided inside their transaction; synchronous=FULL', async () => {
    const file = path.join(t.dir, 'isolation.sqlite');
    // Two processes opening a fresh file at once (server and CLI) both migrate it without error.
    const [d1, d2] = await Promise.all([Db.open(file), Db.open(file)]);
    await d2.close();
    // Two connections migrating one file at once with a migration that cannot run twice.
    const dir = path.join(t.dir, 'migrations');
    mkdirSync(dir);
    writeFileSync(path.join(dir, '001_once.sql'), 'CREATE TABLE once (x INTEGER);');
    const raceFile = path.join(t.dir, 'race.sqlite');
    const [m1, m2] = await Promise.all([Db.open(raceFile, { migrate: false }), Db.open(raceFile, { migrate: false })]);
    const applied = await Promise.all([migrate(m1, loadMigrations(dir)), migrate(m2, loadMigrations(dir))]);
    expect(applied.flat()).toEqual([1]);
    await Promise.all([m1.close(), m2.close()]);
    await upsertReleases(d1, syntheticReleases(3, 60_000, 1), 'page');
    const countRecords = async () => (await d1.get<{ n: number }>('SELECT count(*) AS n FROM records'))!.n;
    const committed = await countRecords();
    let finish!: () => void;
    const hold = new Promise<void>((r) => (finish = r));
    let inserted!: () => void;
    const didInsert = new Promise<void>((r) => (inserted = r));
    const tx = d1.transaction(async (q) => {
      await upsertReleasesIn(q, syntheticReleases(5, 70_000, 2), 'page', new Date().toISOString());
      inserted();
      await hold;
      throw new Error('rolled back');
    });
    await didInsert;
    // Meanwhile, another request reads.
    expect(await countRecords()).toBe(committed);
    finish();
    await expect(tx).rejects.toThrow('rolled back');
    expect((await d1.get<{ synchronous: number }>('PRAGMA synchronous'))!.synchronous).toBe(2);
    await d1.close();
  });
});
