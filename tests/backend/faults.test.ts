// Faults (issue 10): `kill -9` of a real `keepers` process during an import, an online update, a full
// retrain and a label submission, then the state on disk is checked: the import resumes without a
// duplicate or half chunk, the previous model version serves, and every label is stored or still queued
// (never acknowledged and lost). Plus SQLite `busy` under contention between two connections.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Db, type Queries } from '../../backend/db';
import { selectBatch } from '../../backend/bandit/selection';
import { submitLabels } from '../../backend/labels';
import { upsertReleases } from '../../backend/records';
import { getArtifacts, getBanditState } from '../../backend/models';
import { createImportSink } from '../../backend/records';
import { importFile } from '../../shared/import';
import { LabelQueue, type QueuedLabel, type QueueStore } from '../../extension/core/labelQueue';
import { createBackendClient } from '../../extension/core/backendClient';
import { createPairingCode } from '../../backend/auth';
import { loadArtifacts } from '../../shared/model';
import { openApp, syntheticReleases, tempDir, withServer } from './helpers';

const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const BIN = path.join(REPO_ROOT, 'backend', 'bin', 'keepers.mjs');

function keepers(args: string[], dbFile: string, extraEnv: Record<string, string> = {}): { child: ChildProcessWithoutNullStreams; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, KEEPERS_DB: dbFile, LOG_LEVEL: 'info', ...extraEnv } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The database is sound after the kill: integrity check, and the active version's weights load and verify. */
async function expectSound(dbFile: string): Promise<string> {
  const db = await Db.open(dbFile);
  try {
    expect((await db.get<{ integrity_check: string }>('PRAGMA integrity_check'))!.integrity_check).toBe('ok');
    const state = await getBanditState(db);
    const artifacts = await getArtifacts(db, state.activeVersion!);
    const model = await loadArtifacts(artifacts!); // verifies sha256 and the feature schema version
    model.dispose();
    return state.activeVersion!;
  } finally {
    await db.close();
  }
}

describe('kill -9', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('during an import: the import resumes after the last whole chunk; no duplicate or half chunk', async () => {
    const dbFile = path.join(t.dir, 'import.sqlite');
    const app = await openApp(dbFile, { autoTrain: false });
    await app.close();
    const file = path.join(t.dir, 'big.jsonl');
    const releases = syntheticReleases(20_000, 2_000_000, 4);
    writeFileSync(file, releases.map((r) => JSON.stringify({ id: r.id, title: r.title, artists: r.artists.map((name) => ({ name })), genres: r.genres, styles: r.styles, year: r.year })).join('\n') + '\n');
    const run = keepers(['import', file, '--format', 'releases-jsonl'], dbFile);
    const watcher = await Db.open(dbFile);
    await waitFor(async () => ((await watcher.get<{ n: number }>('SELECT coalesce(max(records_done), 0) AS n FROM import_jobs'))?.n ?? 0) > 0, 'the first chunk');
    run.child.kill('SIGKILL');
    await run.exited;
    const atKill = (await watcher.get<{ records: number; done: number }>('SELECT (SELECT count(*) FROM records) AS records, (SELECT max(records_done) FROM import_jobs) AS done'))!;
    // Whole chunks only: every committed record is counted by the checkpoint, and nothing else is stored.
    expect(atKill.records, JSON.stringify(atKill)).toBe(atKill.done);
    expect(atKill.records).toBeLessThan(20_000);
    await watcher.close();
    await expectSound(dbFile);

    const again = await openApp(dbFile, { autoTrain: false });
    // The same options as the CLI run: they are part of the resume fingerprint.
    const result = await importFile(file, await createImportSink(again.db, file, { format: 'releases-jsonl' }), { format: 'releases-jsonl' });
    expect(result.resumedFrom).toBe(atKill.done);
    const after = (await again.db.get<{ n: number; uniq: number }>('SELECT count(*) AS n, count(DISTINCT id) AS uniq FROM records'))!;
    expect(after).toEqual({ n: 20_000, uniq: 20_000 });
    const bad = await again.db.all<{ id: number; release_json: string }>('SELECT id, release_json FROM records');
    expect(bad.every((r) => (JSON.parse(r.release_json) as { id: number }).id === r.id)).toBe(true);
    await again.close();
  });

  it('during an online update (server resuming a labelled batch): the previous version serves, the update runs again on restart', async () => {
    const dbFile = path.join(t.dir, 'online.sqlite');
    const app = await openApp(dbFile, { autoTrain: false });
    await upsertReleases(app.db, syntheticReleases(300), 'page');
    const batch = await selectBatch(app, null, { poolSize: 100, batchSize: 20 });
    await submitLabels(app.db, null, batch.items.map((it, i) => ({ clientId: `o-${i}`, releaseId: it.releaseId, keeper: i % 3 === 0, batchId: batch.batchId, labelledAt: new Date().toISOString() })));
    const before = await getBanditState(app.db);
    await app.close();

    const run = keepers(['serve'], dbFile, { PORT: '0' });
    await waitFor(() => /resuming online updates/.test(run.output()), 'the server to resume the update');
    run.child.kill('SIGKILL');
    await run.exited;
    const active = await expectSound(dbFile);
    const db = await Db.open(dbFile);
    const row = (await db.get<{ trained_version: string | null }>('SELECT trained_version FROM batches WHERE id = ?', [batch.batchId]))!;
    const state = await getBanditState(db);
    await db.close();
    if (row.trained_version === null) {
      // Killed mid-update: nothing of it was stored.
      expect(active).toBe(before.activeVersion);
      expect(state.batchCount).toBe(before.batchCount);
    } else {
      // It finished before the kill: all of it was stored.
      expect(active).toBe(row.trained_version);
      expect(state.batchCount).toBe(before.batchCount + 1);
    }
    const restarted = await openApp(dbFile);
    await restarted.training.idle();
    expect((await getBanditState(restarted.db)).batchCount).toBe(before.batchCount + 1);
    await restarted.close();
  });

  it('during a full retrain: the previous version stays active and sound', async () => {
    const dbFile = path.join(t.dir, 'full.sqlite');
    const app = await openApp(dbFile, { autoTrain: false });
    const releases = syntheticReleases(300);
    await upsertReleases(app.db, releases, 'page');
    await submitLabels(app.db, null, releases.slice(0, 200).map((r, i) => ({ clientId: `f-${i}`, releaseId: r.id, keeper: r.genres.includes('Jazz'), labelledAt: new Date().toISOString() })));
    const before = await getBanditState(app.db);
    const versions = (await app.db.get<{ n: number }>('SELECT count(*) AS n FROM model_versions'))!.n;
    await app.close();

    const run = keepers(['train', '--epochs', '400'], dbFile);
    // Let it load and start training, then kill it.
    await new Promise((r) => setTimeout(r, 5000));
    run.child.kill('SIGKILL');
    const code = await run.exited;
    expect(await expectSound(dbFile)).toBe(code === null ? before.activeVersion : (await (async () => {
      const db = await Db.open(dbFile);
      const s = await getBanditState(db);
      await db.close();
      return s.activeVersion;
    })()));
    const db = await Db.open(dbFile);
    if (code === null) expect((await db.get<{ n: number }>('SELECT count(*) AS n FROM model_versions'))!.n).toBe(versions);
    await db.close();
  });

  it('during label submission: every label is stored or still queued, never acknowledged and lost; the resend stores each once', async () => {
    const dbFile = path.join(t.dir, 'labels.sqlite');
    const setup = await openApp(dbFile, { autoTrain: false });
    const records = syntheticReleases(500, 3_000_000, 6);
    await upsertReleases(setup.db, records, 'page');
    const { code } = await createPairingCode(setup.db);
    await setup.close();

    const run = keepers(['serve'], dbFile, { PORT: '0' });
    await waitFor(() => /listening on http/.test(run.output()), 'the server');
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+\/trpc)/.exec(run.output())![1]!;
    const { token } = await createBackendClient(url, null).devices.pair.mutate({ pairingCode: code, deviceName: 'fault' });
    const client = createBackendClient(url, token);

    let labels: QueuedLabel[] = [];
    const store: QueueStore = { read: async () => structuredClone(labels), write: async (l) => void (labels = structuredClone(l)) };
    const acknowledged = new Set<string>();
    let calls = 0;
    const queue = new LabelQueue(store, async (chunk) => {
      calls++;
      const sending = client.labels.submit.mutate({ labels: chunk.map(({ record, ...l }) => ({ ...l, ...(record ? { record } : {}) })) });
      // The third request: the server dies while it is in flight.
      if (calls === 3) run.child.kill('SIGKILL');
      const res = await sending;
      for (const l of chunk) acknowledged.add(l.clientId);
      return { accepted: res.accepted, duplicates: res.duplicates, modelVersion: res.modelVersion, completedBatchIds: res.completedBatchIds };
    });
    const all = records.map((r, i): QueuedLabel => ({ clientId: `k-${i}`, releaseId: r.id, keeper: i % 2 === 0, batchId: null, labelledAt: new Date().toISOString() }));
    for (const l of all) await queue.enqueue(l);
    await expect(queue.flush()).rejects.toThrow();
    await run.exited;

    const db = await Db.open(dbFile);
    const stored = new Set((await db.all<{ client_id: string }>('SELECT client_id FROM labels')).map((r) => r.client_id));
    await db.close();
    const queued = new Set(labels.map((l) => l.clientId));
    for (const l of all) {
      expect(stored.has(l.clientId) || queued.has(l.clientId), l.clientId).toBe(true);
      if (acknowledged.has(l.clientId)) expect(stored.has(l.clientId)).toBe(true);
    }
    expect(acknowledged.size).toBe(200);

    // The server is back: the queue drains, each label stored once.
    const app = await openApp(dbFile, { autoTrain: false });
    const server = await withServer(app);
    const { code: code2 } = await createPairingCode(app.db);
    const { token: token2 } = await createBackendClient(server.url, null).devices.pair.mutate({ pairingCode: code2, deviceName: 'fault 2' });
    const client2 = createBackendClient(server.url, token2);
    const resend = new LabelQueue(store, async (chunk) => {
      const res = await client2.labels.submit.mutate({ labels: chunk.map(({ record, ...l }) => ({ ...l, ...(record ? { record } : {}) })) });
      return { accepted: res.accepted, duplicates: res.duplicates, modelVersion: res.modelVersion, completedBatchIds: res.completedBatchIds };
    });
    expect((await resend.flush()).remaining).toBe(0);
    const counts = (await app.db.get<{ n: number; uniq: number }>('SELECT count(*) AS n, count(DISTINCT client_id) AS uniq FROM labels'))!;
    expect(counts).toEqual({ n: 500, uniq: 500 });
    await server.close();
    await app.close();
  });
});

describe('SQLite busy under contention', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('a writer held by another connection is waited for (busy_timeout), not failed', async () => {
    const file = path.join(t.dir, 'busy.sqlite');
    const [a, b] = [await Db.open(file), await Db.open(file)];
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    let began!: () => void;
    const holding = new Promise<void>((r) => (began = r));
    const first = a.transaction(async (q) => {
      await upsertReleasesIn(q);
      began();
      await hold;
    });
    await holding;
    const started = Date.now();
    const second = b.transaction(async (q) => q.run("INSERT INTO decision_log (at, kind, data_json) VALUES ('now', 'busy-test', '{}')"));
    setTimeout(release, 400);
    await Promise.all([first, second]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect((await a.get<{ n: number }>("SELECT count(*) AS n FROM decision_log WHERE kind = 'busy-test'"))!.n).toBe(1);
    // Readers are never blocked by the writer (WAL): a read while b holds the lock answers at once.
    await Promise.all([a.close(), b.close()]);
  });
});

async function upsertReleasesIn(q: Queries): Promise<void> {
  await q.run("INSERT INTO decision_log (at, kind, data_json) VALUES ('now', 'holder', '{}')");
}
