// Sync and the learner policy (extension/background/sync.ts, policy.ts) against a real backend: a label
// made on one device reaches another device's view through the backend; the policy chosen in the
// options reaches the backend and the sync record; a backend that went away is said in plain words and
// the labels stay queued until it is back.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { syntheticReleases, tempDir } from '../backend/helpers';
import { pair, startBackend, testBackground, type TestBackend } from './background-helpers';

describe('background: sync', () => {
  const t = tempDir();
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startBackend(`${t.dir}/keepers.sqlite`);
  });
  afterAll(async () => {
    await backend?.close();
    t.cleanup();
  });

  test('a label made on one device reaches the other device\'s view with the next sync', async () => {
    const laptop = testBackground();
    const phone = testBackground();
    await pair(laptop, backend, 'laptop');
    await pair(phone, backend, 'phone');
    const [r] = syntheticReleases(1, 800_000, 6);
    await laptop.handlers.submitLabel({ releaseId: r!.id, keeper: true, record: { releaseId: r!.id, release: r! } });
    expect((await phone.storage.labels.getValue())[String(r!.id)]).toBeUndefined();
    await laptop.handlers.syncNow(undefined);
    const before = (await phone.storage.sync.getValue()).cursor;
    const state = await phone.handlers.syncNow(undefined);
    expect(state).toMatchObject({ paired: true, queued: 0, lastError: null });
    expect((await phone.storage.labels.getValue())[String(r!.id)]).toMatchObject({ keeper: true, release: null });
    expect((await phone.storage.sync.getValue()).cursor).toBeGreaterThan(before);
    expect((await phone.handlers.getStatus(undefined)).labelled).toBe(1);
  });

  test('the learner chosen in the options reaches the backend and the sync record; an unknown one is refused with the backend\'s reason', async () => {
    const background = testBackground();
    await expect(background.handlers.getPolicy(undefined)).rejects.toThrow(/^Not paired/);
    await pair(background, backend, 'options');
    const setting = await background.handlers.getPolicy(undefined);
    expect(setting.available.map((a) => a.name)).toContain('seed');
    expect(await background.handlers.setPolicy({ policy: 'seed' })).toEqual({ policy: 'seed' });
    expect((await background.storage.sync.getValue()).policy).toBe('seed');
    expect((await background.handlers.getPolicy(undefined)).policy).toBe('seed');
    await expect(background.handlers.setPolicy({ policy: 'no-such-learner' })).rejects.toThrow(/^Could not switch the learner to "no-such-learner": policy must be one of/);
    await background.handlers.setPolicy({ policy: setting.defaultPolicy });
  });

  test('a backend that went away: the sync says so, labels stay queued, and go once it is back', async () => {
    const dir = tempDir();
    const gone = await startBackend(`${dir.dir}/keepers.sqlite`);
    const background = testBackground();
    await pair(background, gone, 'offline');
    const url = gone.url;
    await gone.close();
    const [r] = syntheticReleases(1, 810_000, 7);
    await background.handlers.submitLabel({ releaseId: r!.id, keeper: false, record: { releaseId: r!.id, release: r! } });
    const offline = await background.handlers.syncNow(undefined);
    expect(offline).toMatchObject({ queued: 1, lastError: 'Backend unreachable (offline or not running).' });

    // The same backend (same database) back on another port: the device points at it again.
    const back = await startBackend(`${dir.dir}/keepers.sqlite`);
    const pairing = (await background.storage.pairing.getValue())!;
    expect(pairing.backendUrl).toBe(url);
    await background.storage.pairing.setValue({ ...pairing, backendUrl: back.url });
    expect(await background.handlers.syncNow(undefined)).toMatchObject({ queued: 0, lastError: null });
    expect(await back.app.db.all('SELECT release_id FROM labels WHERE release_id = ?', [r!.id])).toEqual([{ release_id: r!.id }]);
    await back.close();
    dir.cleanup();
  });
});
