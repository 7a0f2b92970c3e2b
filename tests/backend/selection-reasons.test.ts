// Batch reasons: computed for the picks only, from the scoring pass's embeddings and the cached labelled
// embeddings, yet the same reasons shared/explain gives from freshly computed evidence.
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { selectBatch } from '../../backend/bandit/selection';
import { latestLabelled, submitLabels } from '../../backend/labels';
import { upsertReleases } from '../../backend/records';
import { reasonsFor } from '../../backend/bandit/reasons';
import { embedReleases } from '../../backend/bandit/scoring';
import { getBanditState } from '../../backend/models';
import { createPairingCode, redeemPairingCode } from '../../backend/auth';
import { recordName } from '../../shared/explain';
import { callerFor, openApp, syntheticReleases, tempDir } from './helpers';

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

describe('batch reasons', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('equal the reasons computed from scratch (fresh embeddings of the picks and of every labelled record)', async () => {
    const app = await openApp(path.join(t.dir, 'same.sqlite'), { autoTrain: false });
    try {
      const releases = syntheticReleases(220);
      await upsertReleases(app.db, releases, 'page');
      // 70 labelled, Jazz kept, so both neighbour kinds and the rare-style / new-artist checks have material.
      await submitLabels(
        app.db,
        null,
        releases.slice(0, 70).map((r, i) => ({ clientId: `l${i}`, releaseId: r.id, keeper: r.genres.includes('Jazz'), labelledAt: at(i) })),
      );
      const batch = await selectBatch(app, null, { poolSize: 150, batchSize: 20 });
      expect(batch.items).toHaveLength(20);
      const { model } = await app.models.get();
      const labelled = await latestLabelled(app.db);
      const byId = new Map(releases.map((r) => [r.id, r]));
      const fresh = reasonsFor(
        model,
        batch.items.map((it) => ({ release: byId.get(it.releaseId)!, strategy: it.strategy, mean: it.mean, uncertainty: it.uncertainty, aleatoric: it.aleatoric })),
        labelled,
      );
      expect(batch.items.map((it) => it.reasons.map((r) => r.text))).toEqual(fresh.map((rs) => rs.map((r) => r.text)));
      expect(batch.items.some((it) => it.reasons.some((r) => r.kind === 'similar-keepers'))).toBe(true);
      expect(batch.items.some((it) => it.reasons.some((r) => r.kind === 'feature'))).toBe(true);
    } finally {
      await app.close();
    }
  });

  it("an online update leaves the new version's labelled embeddings cached, equal to embedding them with that version", async () => {
    const app = await openApp(path.join(t.dir, 'primed.sqlite'));
    try {
      const releases = syntheticReleases(120, 200_000);
      await upsertReleases(app.db, releases, 'page');
      const batch = await selectBatch(app, null, { poolSize: 80, batchSize: 10 });
      const res = await submitLabels(
        app.db,
        null,
        batch.items.map((it, i) => ({ clientId: `b${i}`, releaseId: it.releaseId, keeper: i % 2 === 0, batchId: batch.batchId, labelledAt: at(i) })),
      );
      await app.training.scheduleOnlineUpdates(res.completedBatchIds);
      const { activeVersion, batchCount } = await getBanditState(app.db);
      expect(batchCount).toBe(1);
      const labelled = (await latestLabelled(app.db)).map((l) => l.release);
      expect(labelled).toHaveLength(10);
      expect(labelled.every((r) => app.embeddings.has(activeVersion!, r))).toBe(true);
      const { version, model } = await app.models.get();
      expect(version).toBe(activeVersion);
      const cached = app.embeddings.get(version, model, labelled);
      const here = embedReleases(model, labelled);
      const maxDiff = Math.max(...cached.flatMap((e, i) => Array.from(e, (x, j) => Math.abs(x - here[i]![j]!))));
      expect(maxDiff).toBeLessThan(1e-5);
    } finally {
      await app.close();
    }
  });

  it('latestLabelled with a limit gives the most recent labels, oldest first, the latest label of a record winning', async () => {
    const app = await openApp(path.join(t.dir, 'limit.sqlite'), { autoTrain: false });
    try {
      const releases = syntheticReleases(6, 300_000);
      await upsertReleases(app.db, releases, 'page');
      await submitLabels(
        app.db,
        null,
        releases.map((r, i) => ({ clientId: `a${i}`, releaseId: r.id, keeper: false, labelledAt: at(i) })),
      );
      // The first record relabelled last: it moves to the end, as a keeper.
      await submitLabels(app.db, null, [{ clientId: 'again', releaseId: releases[0]!.id, keeper: true, labelledAt: at(30) }]);
      const all = await latestLabelled(app.db);
      expect(all.map((l) => l.release.id)).toEqual([...releases.slice(1), releases[0]!].map((r) => r.id));
      const recent = await latestLabelled(app.db, { limit: 3 });
      expect(recent).toEqual(all.slice(-3));
      expect(recent.at(-1)).toMatchObject({ keeper: true, release: { id: releases[0]!.id } });
    } finally {
      await app.close();
    }
  });

  it('similar.records names neighbours the way the reasons do (shared/explain recordName: every artist, then the title)', async () => {
    const app = await openApp(path.join(t.dir, 'names.sqlite'), { autoTrain: false });
    try {
      const releases = syntheticReleases(12, 400_000);
      const duo = { ...releases[3]!, artists: ['Mara Quell', 'Orbital Tides'], title: 'Two Hands' };
      const untitled = { ...releases[4]!, title: '' };
      await upsertReleases(app.db, [...releases.slice(0, 3), duo, untitled, ...releases.slice(5)], 'page');
      const { code } = await createPairingCode(app.db);
      const { token } = await redeemPairingCode(app.db, code, 'test');
      const api = await callerFor(app, token);
      const similar = await api.similar.records({ releaseId: releases[0]!.id, k: 20 });
      const title = (id: number) => similar.neighbours.find((n) => n.releaseId === id)?.title;
      expect(title(duo.id)).toBe('Mara Quell, Orbital Tides – Two Hands');
      expect(title(untitled.id)).toBe(recordName(untitled));
      expect(title(untitled.id)).toMatch(new RegExp(`release ${untitled.id}$`));
    } finally {
      await app.close();
    }
  });
});
