// Online updates: resumed after a restart, and a failed training job leaves the previous state intact.
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { selectBatch } from '../../backend/bandit/selection';
import { submitLabels } from '../../backend/labels';
import { upsertReleases } from '../../backend/records';
import { getBanditState, setActiveVersion } from '../../backend/models';
import { InProcessTrainer, type Trainer } from '../../backend/models/training/trainer';
import { predictReleases } from '../../backend/bandit/scoring';
import type { App } from '../../backend/app';
import { openApp, syntheticReleases, tempDir } from './helpers';

async function labelOneBatch(app: App, tag: string): Promise<{ batchId: number; completed: number[] }> {
  const batch = await selectBatch(app, null, { poolSize: 60, batchSize: 10 });
  const releases = new Map(syntheticReleases(200).map((r) => [r.id, r]));
  const res = await submitLabels(
    app.db,
    null,
    batch.items.map((it, i) => ({ clientId: `${tag}-${i}`, releaseId: it.releaseId, keeper: releases.get(it.releaseId)!.genres.includes('Jazz'), batchId: batch.batchId, labelledAt: new Date().toISOString() })),
  );
  return { batchId: batch.batchId, completed: res.completedBatchIds };
}

describe('online updates', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('resumes an online update interrupted by a shutdown', async () => {
    const file = path.join(t.dir, 'resume.sqlite');
    const first = await openApp(file, { autoTrain: false });
    await upsertReleases(first.db, syntheticReleases(200), 'page');
    const { batchId, completed } = await labelOneBatch(first, 'r');
    expect(completed).toEqual([batchId]);
    const before = await getBanditState(first.db);
    await first.close();

    const second = await openApp(file);
    await second.training.idle();
    const after = await getBanditState(second.db);
    expect(after.batchCount).toBe(before.batchCount + 1);
    expect(after.activeVersion).not.toBe(before.activeVersion);
    const batch = await second.db.get<{ trained_version: string }>('SELECT trained_version FROM batches WHERE id = ?', [batchId]);
    expect(batch!.trained_version).toBe(after.activeVersion);
    const version = await second.db.get<{ parent_version: string; kind: string; batch_number: number }>('SELECT parent_version, kind, batch_number FROM model_versions WHERE version = ?', [after.activeVersion]);
    expect(version).toEqual({ parent_version: before.activeVersion, kind: 'online', batch_number: 0 });
    // A request that got the model before the active version changed keeps a usable model: the
    // replaced one is disposed only after a grace period.
    const [newer, older] = [after.activeVersion!, before.activeVersion!];
    const held = await second.models.get();
    expect(held.version).toBe(newer);
    await second.db.write((q) => setActiveVersion(q, older));
    expect((await second.models.get()).version).toBe(older);
    const releases = syntheticReleases(3);
    expect(predictReleases(held.model, releases, { samples: 2 })).toHaveLength(3);
    // Concurrent selections while the version flips all complete.
    const runs = Array.from({ length: 6 }, async (_, i) => {
      if (i % 2 === 1) await second.db.write((q) => setActiveVersion(q, i % 4 === 1 ? newer : older));
      return selectBatch(second, null, { poolSize: 40, batchSize: 5 });
    });
    for (const b of await Promise.all(runs)) {
      expect(b.items).toHaveLength(5);
      expect([older, newer]).toContain(b.modelVersion);
    }
    await second.close();
  });

  it('counts labels given on Discogs pages (no batchId) for picks of an open batch', async () => {
    const app = await openApp(path.join(t.dir, 'page.sqlite'), { autoTrain: false });
    await upsertReleases(app.db, syntheticReleases(200), 'page');
    const batch = await selectBatch(app, null, { poolSize: 50, batchSize: 4 });
    const label = (i: number, releaseId: number, keeper: boolean) => ({ clientId: `p${i}`, releaseId, keeper, labelledAt: new Date(Date.UTC(2026, 2, 1, 0, i)).toISOString() });
    const ids = batch.items.map((it) => it.releaseId);
    const first = await submitLabels(app.db, null, ids.slice(0, 3).map((id, i) => label(i, id, true)));
    expect(first.completedBatchIds).toEqual([]);
    // The same record labelled twice: the later label (by labelledAt) is the one the pick keeps.
    const last = await submitLabels(app.db, null, [label(9, ids[3]!, false), label(8, ids[3]!, true)]);
    expect(last.completedBatchIds).toEqual([batch.batchId]);
    const rows = await app.db.all<{ release_id: number; label: number }>('SELECT release_id, label FROM training_instances WHERE batch_id = ? ORDER BY position', [batch.batchId]);
    expect(rows.map((r) => r.label)).toEqual([1, 1, 1, 0]);
    await app.close();
  });

  it('logs one line per batch with the exploration rate, the split and the score distribution', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const app = await openApp(path.join(t.dir, 'log.sqlite'), { logger: pino({ level: 'info' }, sink) });
    await upsertReleases(app.db, syntheticReleases(200), 'page');
    const batch = await selectBatch(app, null, { poolSize: 100, batchSize: 20, policy: 'seed' });
    await app.close();
    const line = lines.find((l) => l.msg === 'selected batch');
    expect(line).toMatchObject({ batchId: batch.batchId, batchNumber: 0, exploreRate: 0.6, split: { explore: 12, exploit: 8 }, poolSize: 100, policy: 'seed' });
    const score = line!.score as { min: number; median: number; max: number };
    const scores = batch.items.map((i) => i.score);
    expect(score.min).toBeCloseTo(Math.min(...scores), 9);
    expect(score.max).toBeCloseTo(Math.max(...scores), 9);
    expect(score.median).toBeGreaterThanOrEqual(score.min);
  });

  it('keeps the previous model and counter when training fails', async () => {
    const real = new InProcessTrainer();
    const broken: Trainer = {
      online: () => Promise.reject(new Error('out of memory in the worker')),
      full: (job) => real.full(job),
      close: () => real.close(),
    };
    const app = await openApp(path.join(t.dir, 'fail.sqlite'), { trainer: broken });
    await upsertReleases(app.db, syntheticReleases(200), 'page');
    const before = await getBanditState(app.db);
    const versionsBefore = await app.db.all('SELECT version FROM model_versions');
    const { completed } = await labelOneBatch(app, 'f');
    await app.training.scheduleOnlineUpdates(completed);
    expect(app.training.lastError).toMatch(/out of memory/);
    expect(await getBanditState(app.db)).toEqual(before);
    expect(await app.db.all('SELECT version FROM model_versions')).toEqual(versionsBefore);
    // Selection goes on with the old version.
    const next = await selectBatch(app, null, { poolSize: 60, batchSize: 10 });
    expect(next.modelVersion).toBe(before.activeVersion);
    await app.close();
  });
});
