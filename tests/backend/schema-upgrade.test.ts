// An upgrade that changes the feature schema: the stored model cannot be loaded any more, the labels
// can. The backend starts a fresh model for the new schema and refits it on the stored labels.
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { selectBatch } from '../../backend/bandit/selection';
import { submitLabels } from '../../backend/labels';
import { upsertReleases } from '../../backend/records';
import { getBanditState } from '../../backend/models';
import { FEATURE_SCHEMA_VERSION } from '../../shared/features';
import { openApp, syntheticReleases, tempDir } from './helpers';

describe('a model built for another feature schema', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('is replaced by a new model refitted on the stored labels, and serving goes on', async () => {
    const file = path.join(t.dir, 'upgrade.sqlite');
    const first = await openApp(file, { autoTrain: false });
    const releases = syntheticReleases(200);
    await upsertReleases(first.db, releases, 'page');
    const batch = await selectBatch(first, null, { poolSize: 60, batchSize: 10 });
    const byId = new Map(releases.map((r) => [r.id, r]));
    await submitLabels(first.db, null, batch.items.map((it, i) => ({ clientId: `u-${i}`, releaseId: it.releaseId, keeper: byId.get(it.releaseId)!.genres.includes('Jazz'), batchId: batch.batchId, labelledAt: new Date().toISOString() })));
    const old = (await getBanditState(first.db)).activeVersion!;
    // What an older build left behind: its active version says it encodes features another way.
    await first.db.write((q) => q.run('UPDATE model_versions SET feature_schema_version = ? WHERE version = ?', [FEATURE_SCHEMA_VERSION - 1, old]));
    await first.close();

    const second = await openApp(file, { autoTrain: false });
    try {
      await second.training.idle();
      const state = await getBanditState(second.db);
      expect(state.activeVersion).not.toBe(old);
      const kinds = await second.db.all<{ kind: string; schema: number }>('SELECT kind, feature_schema_version AS schema FROM model_versions WHERE version != ? ORDER BY created_at', [old]);
      expect(kinds.map((k) => k.kind)).toEqual(['initial', 'warm-start']);
      expect(kinds.every((k) => k.schema === FEATURE_SCHEMA_VERSION)).toBe(true);
      const { model } = await second.models.get();
      expect(model.posterior?.labelCount).toBe(10);
      const next = await selectBatch(second, null, { poolSize: 60, batchSize: 10 });
      expect(next.items).toHaveLength(10);
    } finally {
      await second.close();
    }
  });
});
