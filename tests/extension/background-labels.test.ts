// The label store (extension/background/labelStore.ts) against a real backend: labels apply at once to
// this device's view, go in the queue, reach the backend once; a refused label is reported and does not
// block the next; undo takes back a label not sent yet; labels of other devices merge by time; a label
// that finishes the popup's batch syncs at once.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { syntheticReleases, tempDir } from '../backend/helpers';
import { pair, startBackend, testBackground, type TestBackend } from './background-helpers';

describe('background: labels', () => {
  const t = tempDir();
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startBackend(`${t.dir}/keepers.sqlite`);
  });
  afterAll(async () => {
    await backend?.close();
    t.cleanup();
  });

  const onBackend = (releaseIds: number[]) =>
    backend.app.db.all<{ release_id: number; keeper: number }>(
      `SELECT release_id, keeper FROM labels WHERE release_id IN (${releaseIds.map(() => '?').join(',')}) ORDER BY release_id`,
      releaseIds,
    );

  test('a burst of labels (concurrent clicks) all land in this device\'s view and reach the backend once', async () => {
    const background = testBackground();
    await pair(background, backend, 'burst');
    const burst = syntheticReleases(20, 600_000, 9);
    await Promise.all(burst.map((r, i) => background.handlers.submitLabel({ releaseId: r.id, keeper: i % 2 === 0, record: { releaseId: r.id, release: r } })));
    const view = await background.storage.labels.getValue();
    for (const [i, r] of burst.entries()) expect(view[String(r.id)]?.keeper, `release ${r.id}`).toBe(i % 2 === 0);
    expect((await background.handlers.syncNow(undefined)).queued).toBe(0);
    expect(await onBackend(burst.map((r) => r.id))).toEqual(burst.map((r, i) => ({ release_id: r.id, keeper: i % 2 === 0 ? 1 : 0 })));
  });

  test('a refused label is reported until the next sync, leaves the queue, and the label behind it is delivered', async () => {
    const background = testBackground();
    await pair(background, backend, 'refused');
    // A record the backend never saw, sent without metadata: refused.
    await background.handlers.submitLabel({ releaseId: 98_765_432, keeper: true });
    const [known] = syntheticReleases(1, 610_000, 3);
    await background.handlers.submitLabel({ releaseId: known!.id, keeper: false, record: { releaseId: known!.id, release: known! } });
    const state = await background.handlers.syncNow(undefined);
    expect(state.queued).toBe(0);
    expect(state.lastError).toMatch(/^1 label refused by the backend and not saved there \(release 98765432: Unknown release id 98765432/);
    expect((await background.storage.refusedLabels.getValue()).map((r) => r.label.releaseId)).toEqual([98_765_432]);
    expect(await onBackend([98_765_432, known!.id])).toEqual([{ release_id: known!.id, keeper: 0 }]);
    expect((await background.handlers.syncNow(undefined)).lastError).toBeNull();
  });

  test('unpaired, labels wait in the queue; undo takes one back; pairing sends the rest', async () => {
    const background = testBackground();
    const [a, b] = syntheticReleases(2, 620_000, 4);
    const first = await background.handlers.submitLabel({ releaseId: a!.id, keeper: true, record: { releaseId: a!.id, release: a! } });
    const second = await background.handlers.submitLabel({ releaseId: b!.id, keeper: false, record: { releaseId: b!.id, release: b! } });
    expect(second.queued).toBe(2);
    expect(await background.handlers.undoLabel({ clientId: second.clientId! })).toEqual({ removed: true, queued: 1 });
    expect(Object.keys(await background.storage.labels.getValue())).toEqual([String(a!.id)]);
    expect((await background.handlers.syncNow(undefined)).queued).toBe(1);

    await pair(background, backend, 'late');
    expect((await background.handlers.getStatus(undefined)).sync.queued).toBe(0);
    expect(await onBackend([a!.id, b!.id])).toEqual([{ release_id: a!.id, keeper: 1 }]);
    // A label the backend has cannot be taken back by undo.
    expect((await background.handlers.undoLabel({ clientId: first.clientId! })).removed).toBe(false);
  });

  test('labels from another device merge by time: the later label wins, compared as instants', async () => {
    const background = testBackground();
    const [r] = syntheticReleases(1, 630_000, 5);
    await background.handlers.submitLabel({ releaseId: r!.id, keeper: true, record: { releaseId: r!.id, release: r! } });
    const mine = (await background.storage.labels.getValue())[String(r!.id)]!;
    // An older label of another device (given in another offset) does not replace this one.
    const earlier = new Date(Date.parse(mine.labelledAt) - 60_000).toISOString().replace('Z', '+00:00');
    await background.labels.mergeRemote([{ releaseId: r!.id, keeper: false, labelledAt: earlier }]);
    expect((await background.storage.labels.getValue())[String(r!.id)]).toMatchObject({ keeper: true, release: { id: r!.id } });
    // A later one does, and keeps the record this device knows.
    const later = new Date(Date.parse(mine.labelledAt) + 60_000).toISOString();
    await background.labels.mergeRemote([{ releaseId: r!.id, keeper: false, labelledAt: later }, { releaseId: 630_999, keeper: true, labelledAt: later }]);
    const view = await background.storage.labels.getValue();
    expect(view[String(r!.id)]).toMatchObject({ keeper: false, labelledAt: later, release: { id: r!.id } });
    expect(view['630999']).toEqual({ keeper: true, labelledAt: later, release: null });
  });

  test('input that could not come from a badge is refused with the field named', async () => {
    const background = testBackground();
    await expect(background.handlers.submitLabel({ releaseId: -3, keeper: true })).rejects.toThrow(/releaseId must be a positive integer/);
    await expect(background.handlers.submitLabel({ releaseId: 5, keeper: 'yes' as unknown as boolean })).rejects.toThrow(/keeper must be true or false/);
    await expect(background.handlers.submitLabel({ releaseId: 5, keeper: true, record: { releaseId: 6, release: {} } })).rejects.toThrow(/does not match/);
    expect(await background.labels.queue.size()).toBe(0);
  });
});
