// Issue 10, defects 5 and 3: the background service against two real backends, with chrome.storage, the model
// and IndexedDB replaced by in-memory fakes. Pairing with another backend while a sync of the previous
// pairing is still running must not let that sync write its (old backend's) cursor over the new one.
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';

const memory = new Map<string, unknown>();
/** chrome.storage answers asynchronously (IPC): each call takes 0–2 ms, in a fixed rotation. */
let tick = 0;
const ipc = () => new Promise((r) => setTimeout(r, tick++ % 3));
vi.mock('@wxt-dev/storage', () => ({
  storage: {
    defineItem: <T>(key: string, opts: { fallback: T }) => ({
      getValue: async (): Promise<T> => {
        await ipc();
        return structuredClone((memory.has(key) ? memory.get(key) : opts.fallback) as T);
      },
      setValue: async (v: T) => {
        await ipc();
        memory.set(key, structuredClone(v));
      },
      removeValue: async () => void memory.delete(key),
    }),
  },
}));
vi.mock('../../extension/core/secrets', () => ({
  pairingItem: {
    getValue: async () => structuredClone(memory.get('secret:pairing') ?? null),
    setValue: async (v: unknown) => void memory.set('secret:pairing', structuredClone(v)),
  },
}));
vi.mock('../../extension/core/modelCache', () => ({
  readCachedArtifacts: async () => null,
  writeCachedArtifacts: async () => undefined,
  clearCachedArtifacts: async () => undefined,
}));
/** The first sync that loads weights waits here, so the test can pair again while it is in flight. */
const gate = { hold: null as Promise<void> | null, entered: null as (() => void) | null };
vi.mock('../../extension/core/scorer', () => ({
  Scorer: class {
    ready = true;
    private version: string | null = null;
    knowledge = { learned: false, labels: 0, head: 'mc-dropout' };
    async start() {}
    setPolicy() {}
    useUntrained() {
      this.version = null;
    }
    async useArtifacts(a: { modelVersion: string }) {
      if (gate.hold) {
        gate.entered?.();
        const hold = gate.hold;
        gate.hold = null;
        await hold;
      }
      this.version = a.modelVersion;
    }
    status() {
      return { backend: 'cpu', preference: 'auto', reason: '', renderer: null, modelVersion: this.version, modelSource: 'untrained', knowledge: this.knowledge };
    }
  },
}));

import { KeepersService } from '../../extension/core/service';
import { labelsItem, syncItem } from '../../extension/core/settings';
import { createPairingCode } from '../../backend/auth';
import { submitLabels } from '../../backend/labels';
import type { App } from '../../backend/app';
import type { RunningServer } from '../../backend/server';
import { openApp, syntheticReleases, tempDir, withServer } from '../backend/helpers';

describe('background service: pairing during a sync', () => {
  const t = tempDir();
  const backends: Array<{ app: App; server: RunningServer }> = [];
  beforeAll(async () => {
    for (const [n, labels] of [
      ['one', 40],
      ['two', 3],
    ] as const) {
      const app = await openApp(`${t.dir}/${n}.sqlite`, { autoTrain: false });
      const records = syntheticReleases(labels, 100_000, 3);
      await submitLabels(app.db, null, records.map((r, i) => ({ clientId: `${n}-${i}`, releaseId: r.id, keeper: true, labelledAt: new Date().toISOString(), record: r })));
      backends.push({ app, server: await withServer(app) });
    }
  });
  afterAll(async () => {
    for (const b of backends) {
      await b.server.close();
      await b.app.close();
    }
    t.cleanup();
  });

  test('5: the old sync does not write its cursor over the new pairing; 3: a refused label is reported and the next one delivered', async () => {
    const [one, two] = backends as [(typeof backends)[0], (typeof backends)[0]];
    const service = new KeepersService('/tfjs/');
    let release!: () => void;
    gate.hold = new Promise<void>((r) => (release = r));
    const entered = new Promise<void>((r) => (gate.entered = r));
    // Pairing with backend one starts a sync that pulls its 40 labels, then waits while loading weights.
    const first = service.pairDevice({ backendUrl: one.server.url.replace(/\/trpc$/, ''), pairingCode: (await createPairingCode(one.app.db)).code, deviceName: 'test' });
    await entered;
    // Meanwhile the collector pairs with backend two.
    const second = service.pairDevice({ backendUrl: two.server.url.replace(/\/trpc$/, ''), pairingCode: (await createPairingCode(two.app.db)).code, deviceName: 'test' });
    await new Promise((r) => setTimeout(r, 50));
    release();
    await Promise.all([first, second]);
    const lastOnTwo = (await two.app.db.get<{ id: number }>('SELECT max(id) AS id FROM labels'))!.id;
    const sync = await syncItem.getValue();
    expect(sync.cursor).toBe(lastOnTwo);
    expect(sync.cursor).toBeLessThan(40);

    // 3: a label the backend refuses (a record it never saw, sent without metadata) is reported to the
    // user, leaves the queue, and the label queued behind it is delivered.
    await service.submitLabel({ releaseId: 98_765_432, keeper: true });
    const [known] = syntheticReleases(1, 100_000, 3);
    await service.submitLabel({ releaseId: known!.id, keeper: false });
    const state = await service.syncNow();
    expect(state.queued).toBe(0);
    expect(state.lastError).toMatch(/^1 label refused by the backend and not saved there \(release 98765432: Unknown release id 98765432/);
    const onTwo = await two.app.db.all<{ release_id: number; keeper: number }>('SELECT release_id, keeper FROM labels WHERE device_id IS NOT NULL');
    expect(onTwo).toEqual([{ release_id: known!.id, keeper: 0 }]);
    // Shown until the next sync, which clears it.
    expect((await service.syncNow()).lastError).toBeNull();
  });

  test('5: concurrent labels (a burst of clicks) all land in this device\'s view: chrome.storage read-modify-writes do not overwrite each other', async () => {
    const two = backends[1]!;
    const service = new KeepersService('/tfjs/');
    await service.pairDevice({ backendUrl: two.server.url.replace(/\/trpc$/, ''), pairingCode: (await createPairingCode(two.app.db)).code, deviceName: 'burst' });
    const burst = syntheticReleases(20, 600_000, 9);
    await Promise.all(burst.map((r, i) => service.submitLabel({ releaseId: r.id, keeper: i % 2 === 0, record: { releaseId: r.id, release: r } })));
    const view = (await labelsItem.getValue()) as Record<string, { keeper: boolean }>;
    for (const [i, r] of burst.entries()) expect(view[String(r.id)]?.keeper, `release ${r.id}`).toBe(i % 2 === 0);
    expect((await service.syncNow()).queued).toBe(0);
  });
});
