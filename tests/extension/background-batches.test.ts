// The popup's batches and page scoring (extension/background/batches.ts, pageScoring.ts) against a real
// backend that trains on finished batches, with the real model: before any label every record is one
// to learn from and "Why shown?" says nothing is learned; a batch of 20 labelled in the popup is synced
// at once, the backend learns from it, and the next sync brings a model whose numbers the badges show.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PageRecord } from '../../extension/core/messaging';
import { createBackendClient } from '../../extension/core/backendClient';
import { syntheticReleases, tempDir } from '../backend/helpers';
import { pair, startBackend, testBackground, type TestBackend } from './background-helpers';

/** What `attempt` answers once it answers something (tried every 200 ms, for at most 30 s). */
async function eventually<T>(attempt: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await attempt();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error('gave up waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The tRPC procedures `run` calls over HTTP (globalThis.fetch counted while it runs). */
async function countRequests<T>(run: () => Promise<T>): Promise<{ result: T; paths: string[] }> {
  const realFetch = globalThis.fetch;
  const paths: string[] = [];
  globalThis.fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    paths.push(...url.pathname.replace(/^.*\/trpc\//, '').split(','));
    return realFetch(input, init);
  };
  try {
    return { result: await run(), paths };
  } finally {
    globalThis.fetch = realFetch;
  }
}

const pageRecord = (r: ReturnType<typeof syntheticReleases>[number]): PageRecord => ({ releaseId: r.id, release: r });

describe('background: popup batches and page scoring', () => {
  const t = tempDir();
  let backend: TestBackend;
  const pool = syntheticReleases(40, 700_000, 11);
  beforeAll(async () => {
    backend = await startBackend(`${t.dir}/keepers.sqlite`, { autoTrain: true });
  });
  afterAll(async () => {
    await backend?.close();
    t.cleanup();
  });

  test('unpaired: every unlabelled record explores with no claim, a labelled one shows its label; "Why shown?" says nothing is learned yet', async () => {
    const background = testBackground();
    const page = pool.slice(0, 5).map(pageRecord);
    await background.handlers.submitLabel({ releaseId: pool[0]!.id, keeper: true, record: page[0] });
    const { items, modelVersion } = await background.handlers.scoreRecords({ records: [...page, { releaseId: null, masterId: 9001, release: { title: 'A master' } }], pageUrl: 'https://www.discogs.com/search' });
    expect(modelVersion).toBeNull();
    expect(items.map((i) => [i.releaseId ?? `m${i.masterId}`, i.strategy, i.learned, i.label])).toEqual([
      [pool[0]!.id, 'none', false, true],
      ...pool.slice(1, 5).map((r) => [r.id, 'explore', false, undefined]),
      ['m9001', 'explore', false, undefined],
    ]);
    const { reasons } = await background.handlers.explainRecord({ releaseId: pool[1]!.id });
    expect(reasons[0]!.text).toMatch(/^No labels learned yet: this browser is not paired/);
    expect(reasons.map((r) => r.text).join(' ')).toContain('You have labelled 1 record on this device (1 kept)');
  });

  test('a batch of 20: kept until labelled, finished by the last label (synced at once), then the next; the model learned from it', async () => {
    const background = testBackground();
    await pair(background, backend, 'popup');
    const token = (await background.storage.pairing.getValue())!.token;
    await createBackendClient(backend.url, token).records.upsert.mutate({ records: pool });

    // The explore share is the backend's answer: none before it picked a batch.
    expect((await background.handlers.getStatus(undefined)).exploreRate).toBeNull();
    const requests = await countRequests(() => background.handlers.getBatch({}));
    const batch = requests.result;
    // One request: bandit.selectBatch answers the picks with their records and reasons.
    expect(requests.paths).toEqual(['bandit.selectBatch']);
    expect(batch.items).toHaveLength(20);
    expect(batch.batchNumber).toBe(0);
    expect(batch.modelVersion).toBe((await createBackendClient(backend.url, token).models.latest.query()).version);
    expect((await background.handlers.getStatus(undefined)).exploreRate).toBe(batch.exploreRate);
    // The records come with their metadata for the cards, and with the backend's reasons for the pick.
    for (const item of batch.items) {
      expect(item.release?.id).toBe(item.releaseId);
      expect(Array.isArray(item.reasons)).toBe(true);
    }
    expect((await background.handlers.getBatch({})).batchId).toBe(batch.batchId);

    const clientIds: string[] = [];
    for (const [i, item] of batch.items.entries()) {
      const { clientId } = await background.handlers.submitLabel({ releaseId: item.releaseId, keeper: i % 3 === 0, batchId: batch.batchId });
      clientIds.push(clientId!);
      if (i === 18) {
        const stored = (await background.storage.currentBatch.getValue())!;
        expect(stored.items.filter((it) => it.label)).toHaveLength(19);
        expect((await background.handlers.getBatch({})).batchId).toBe(batch.batchId);
      }
    }
    // The last label finished the batch: the labels go at once (no flush delay to wait for).
    const started = Date.now();
    await eventually(async () => {
      const labelled = await backend.app.db.all<{ batch_id: number }>('SELECT batch_id FROM labels WHERE batch_id = ?', [batch.batchId]);
      return labelled.length === 20 ? labelled : null;
    });
    expect(Date.now() - started).toBeLessThan(1500);

    // The backend learns from the finished batch in the background: a later sync brings the new version.
    const status = await eventually(async () => {
      await background.handlers.syncNow(undefined);
      const now = await background.handlers.getStatus(undefined);
      return now.scorer.knowledge.learned ? now : null;
    });
    expect(status.batchNumber).toBe(1);
    expect(status.scorer.knowledge.learned).toBe(true);
    expect(status.scorer.modelVersion).not.toBeNull();

    const next = await background.handlers.getBatch({});
    expect(next.batchId).not.toBe(batch.batchId);
    expect(next.batchNumber).toBe(1);
    expect(next.items.some((i) => batch.items.some((b) => b.releaseId === i.releaseId))).toBe(false);

    // The page now gets the learned model's numbers, and "Why shown?" states the badge's own.
    const page = pool.slice(0, 6).map(pageRecord);
    const scored = await background.handlers.scoreRecords({ records: page, pageUrl: 'https://www.discogs.com/search' });
    expect(scored.items.every((i) => i.learned)).toBe(true);
    const labelledHere = new Set(batch.items.map((i) => i.releaseId));
    for (const item of scored.items) if (labelledHere.has(item.releaseId!)) expect(item.strategy).toBe('none');
    const shown = scored.items[0]!;
    const { reasons } = await background.handlers.explainRecord({ releaseId: shown.releaseId, record: page[0], score: shown });
    expect(reasons.length).toBeGreaterThan(0);
    expect(reasons.some((r) => r.kind === 'knowledge' && r.text.startsWith('No labels learned yet'))).toBe(false);
  });
});
