// What selectBatch keeps between calls to be fast returns what the uncached path returns: the occlusion
// scores without the posterior std, and the labelled neighbour candidates read again only when a label
// arrives.
import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { deterministicMeans } from '../../backend/bandit/reasons';
import { neighbourCandidates } from '../../backend/bandit/neighbours';
import { latestLabelled, submitLabels } from '../../backend/labels';
import { upsertReleases } from '../../backend/records';
import { encodeReleases } from '../../shared/features';
import { KeepersModel, initTf, predict } from '../../shared/model';
import { configForPolicy, learn } from '../../shared/bandit';
import { syntheticCatalogue } from '../fixtures/ml/catalogue';
import { openApp, syntheticReleases, tempDir } from './helpers';

describe('occlusion scores', () => {
  it('equal predict with dropout off, with the Bayesian head and with the dropout head', async () => {
    await initTf(['wasm']);
    const { releases, keeper } = syntheticCatalogue(160, 3);
    const model = KeepersModel.create(configForPolicy('neural-ts'), 5);
    try {
      const rows = releases.slice(0, 40);
      const dropout = predict(model, encodeReleases(rows), { samples: 1, dropout: false, head: 'auto' }).map((p) => p.mean);
      expect(deterministicMeans(model, rows, 'auto')).toEqual(dropout);
      const labelled = releases.slice(40).map((release, i) => ({ release, keeper: keeper[40 + i]! }));
      await learn(model, { batch: labelled.slice(100), history: labelled.slice(0, 100), batchNumber: 0 });
      expect(model.posterior).toBeTruthy();
      for (const head of ['auto', 'mc-dropout'] as const) {
        const expected = predict(model, encodeReleases(rows), { samples: 1, dropout: false, head }).map((p) => p.mean);
        expect(deterministicMeans(model, rows, head)).toEqual(expected);
      }
    } finally {
      model.dispose();
    }
  });
});

describe('neighbour candidates', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('equal latestLabelled, and follow a new label at once', async () => {
    const app = await openApp(path.join(t.dir, 'neighbours.sqlite'), { autoTrain: false });
    try {
      const releases = syntheticReleases(60);
      await upsertReleases(app.db, releases, 'page');
      const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();
      await submitLabels(app.db, null, releases.slice(0, 30).map((r, i) => ({ clientId: `a${i}`, releaseId: r.id, keeper: i % 2 === 0, labelledAt: at(i) })));
      const first = await neighbourCandidates(app.db);
      expect(first).toEqual(await latestLabelled(app.db, { limit: 2000 }));
      // Unchanged labels: the same list, not read again.
      expect(await neighbourCandidates(app.db)).toBe(first);
      // A new label, and a second opinion on a record already labelled, are there on the next call.
      await submitLabels(app.db, null, [
        { clientId: 'b0', releaseId: releases[40]!.id, keeper: true, labelledAt: at(40) },
        { clientId: 'b1', releaseId: releases[0]!.id, keeper: false, labelledAt: at(41) },
      ]);
      const second = await neighbourCandidates(app.db);
      expect(second).toEqual(await latestLabelled(app.db, { limit: 2000 }));
      expect(second.at(-1)).toMatchObject({ release: { id: releases[0]!.id }, keeper: false });
      // After a minute the list is read again even without a new label (a labelled record may have been enriched).
      expect(await neighbourCandidates(app.db, Date.now() + 61_000)).not.toBe(second);
    } finally {
      await app.close();
    }
  });
});
