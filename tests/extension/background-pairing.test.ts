// The pairing service (extension/background/pairing.ts) and sync against two real backends, with an
// in-memory storage that answers asynchronously and the real model. Pairing with another backend while
// a sync of the previous pairing is still running must not let that sync write its (old backend's)
// cursor over the new one; forgetting the device drops the token and goes back to the untrained model.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ModelArtifacts } from '../../shared/model';
import { Scorer } from '../../extension/core/scorer';
import { submitLabels } from '../../backend/labels';
import { syntheticReleases, tempDir } from '../backend/helpers';
import { pair, startBackend, testBackground, WASM_DIR, type TestBackend } from './background-helpers';

/** The real scorer; the first weights it loads wait at a gate, so the test can pair again meanwhile. */
class GatedScorer extends Scorer {
  hold: Promise<void> | null = null;
  entered: (() => void) | null = null;

  override async useArtifacts(artifacts: ModelArtifacts): Promise<void> {
    if (this.hold) {
      this.entered?.();
      const hold = this.hold;
      this.hold = null;
      await hold;
    }
    return super.useArtifacts(artifacts);
  }
}

describe('background: pairing', () => {
  const t = tempDir();
  let one: TestBackend;
  let two: TestBackend;
  beforeAll(async () => {
    one = await startBackend(`${t.dir}/one.sqlite`);
    two = await startBackend(`${t.dir}/two.sqlite`);
    for (const [backend, n, labels] of [[one, 'one', 40], [two, 'two', 3]] as const) {
      const records = syntheticReleases(labels, 100_000, 3);
      await submitLabels(backend.app.db, null, records.map((r, i) => ({ clientId: `${n}-${i}`, releaseId: r.id, keeper: true, labelledAt: new Date().toISOString(), record: r })));
    }
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    t.cleanup();
  });

  test('a sync of the old pairing does not write its cursor over the new pairing\'s', async () => {
    const scorer = new GatedScorer({ wasmPaths: WASM_DIR });
    const background = testBackground({ scorer });
    let release!: () => void;
    scorer.hold = new Promise<void>((r) => (release = r));
    const entered = new Promise<void>((r) => (scorer.entered = r));
    // Pairing with backend one starts a sync that pulls its 40 labels, then waits while loading weights.
    const first = pair(background, one);
    await entered;
    // Meanwhile the collector pairs with backend two.
    const second = pair(background, two);
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all([first, second]);
    const lastOnTwo = (await two.app.db.get<{ id: number }>('SELECT max(id) AS id FROM labels'))!.id;
    const sync = await background.storage.sync.getValue();
    expect(sync.cursor).toBe(lastOnTwo);
    expect(sync.cursor).toBeLessThan(40);
    const state = await background.handlers.syncNow(undefined);
    expect(state).toMatchObject({ paired: true, backendUrl: two.url, lastError: null });
  });

  test('an empty code and an unknown code are refused with what to do; nothing is stored', async () => {
    const background = testBackground();
    await expect(background.handlers.pairDevice({ backendUrl: one.url, pairingCode: '  ' })).rejects.toThrow(/Pairing code is empty/);
    await expect(background.handlers.pairDevice({ backendUrl: one.url, pairingCode: 'NOT-A-CODE' })).rejects.toThrow(/^Pairing failed: /);
    expect(await background.storage.pairing.getValue()).toBeNull();
    expect((await background.handlers.getStatus(undefined)).sync.paired).toBe(false);
  });

  test('forgetting the device drops the token, the cursor and the batch, and scores with the untrained model again', async () => {
    const background = testBackground();
    const { deviceId } = await pair(background, one, '  ');
    expect((await background.storage.pairing.getValue())).toMatchObject({ backendUrl: one.url, deviceId, deviceName: 'test device' });
    const paired = await background.handlers.getStatus(undefined);
    expect(paired.sync).toMatchObject({ paired: true, deviceId, lastError: null });
    expect(paired.scorer.modelSource).toBe('backend');
    expect((await background.storage.sync.getValue()).cursor).toBeGreaterThan(0);

    await background.handlers.forgetDevice(undefined);
    const forgotten = await background.handlers.getStatus(undefined);
    expect(forgotten.sync).toMatchObject({ paired: false, deviceId: null, backendUrl: one.url });
    expect(forgotten.scorer).toMatchObject({ modelSource: 'untrained', modelVersion: null });
    expect((await background.storage.sync.getValue()).cursor).toBe(0);
    await expect(background.handlers.getBatch({})).rejects.toThrow(/^Not paired/);
  });
});
