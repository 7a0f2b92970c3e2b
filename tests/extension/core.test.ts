// The background's core, in Node: the tfjs backend rule, backend URLs, page badge assignment, feature
// toggles, and the offline label queue against a real backend (SQLite in a temp dir, HTTP on 127.0.0.1).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { backendOrder, isSoftwareRenderer } from '../../extension/core/tfBackend';
import { createBackendClient, normaliseBackendUrl, type BackendClient } from '../../extension/core/backendClient';
import { assignByPosterior, assignStrategies, assignUnlearned, pageReleases, type ScoredRecord } from '../../extension/core/records';
import { togglesWithDefaults } from '../../extension/features/registry';
import { LabelQueue, type QueuedLabel, type QueueStore, type SubmitLabels } from '../../extension/core/labelQueue';
import { createPairingCode } from '../../backend/auth';
import type { App } from '../../backend/app';
import type { RunningServer } from '../../backend/server';
import { openApp, syntheticReleases, tempDir, withServer } from '../backend/helpers';

const SWIFTSHADER = 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)';
const NVIDIA = 'ANGLE (NVIDIA, NVIDIA GeForce RTX 4070 (0x00002786) Direct3D11 vs_5_0 ps_5_0, D3D11)';

describe('tfjs backend choice', () => {
  test('software WebGL (SwiftShader, llvmpipe) puts WASM first and says why', () => {
    expect(isSoftwareRenderer(SWIFTSHADER)).toBe(true);
    expect(isSoftwareRenderer('llvmpipe (LLVM 15.0.6, 256 bits)')).toBe(true);
    const { order, reason } = backendOrder('auto', SWIFTSHADER);
    expect(order).toEqual(['wasm', 'webgl', 'cpu']);
    expect(reason).toContain('software');
    expect(reason).toContain('SwiftShader');
  });

  test('a real GPU gets WebGL first', () => {
    expect(isSoftwareRenderer(NVIDIA)).toBe(false);
    expect(isSoftwareRenderer('Apple M2')).toBe(false);
    expect(backendOrder('auto', NVIDIA).order).toEqual(['webgl', 'wasm', 'cpu']);
  });

  test('no WebGL at all: WASM then CPU; a forced choice goes first whatever the renderer', () => {
    expect(backendOrder('auto', null).order).toEqual(['wasm', 'cpu']);
    expect(backendOrder('webgl', SWIFTSHADER).order).toEqual(['webgl', 'wasm', 'cpu']);
    expect(backendOrder('cpu', NVIDIA).order).toEqual(['cpu', 'webgl', 'wasm']);
  });
});

describe('backend URL', () => {
  test('accepts what people type and stores one form', () => {
    expect(normaliseBackendUrl('127.0.0.1:8787')).toBe('http://127.0.0.1:8787');
    expect(normaliseBackendUrl(' http://localhost:8787/ ')).toBe('http://localhost:8787');
    expect(normaliseBackendUrl('http://host.lan:9000/trpc')).toBe('http://host.lan:9000');
    expect(normaliseBackendUrl('https://keepers.example.org/base/trpc/')).toBe('https://keepers.example.org/base');
  });

  test('refuses empty and non-HTTP addresses with a readable reason', () => {
    expect(() => normaliseBackendUrl('  ')).toThrow(/empty/);
    expect(() => normaliseBackendUrl('ftp://host')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => normaliseBackendUrl('http://exa mple')).toThrow(/not a valid address/);
  });
});

describe('page badges', () => {
  const scores = (n: number): ScoredRecord[] =>
    Array.from({ length: n }, (_, i) => ({ releaseId: 100 + i, mean: (i * 37) % 100 / 100, uncertainty: ((i * 53) % 29) / 100, aleatoric: 0.1 }));

  test('a page of 30 records: 20 badged with batch 0’s split (12 explore, 8 exploit), the rest none', () => {
    const items = assignStrategies(scores(30), new Set(), 0);
    expect(items).toHaveLength(30);
    expect(items.filter((i) => i.strategy === 'explore')).toHaveLength(12);
    expect(items.filter((i) => i.strategy === 'exploit')).toHaveLength(8);
    expect(items.filter((i) => i.strategy === 'none')).toHaveLength(10);
    // Exploit picks are the best mean − uncertainty of the page.
    const exploitScores = items.filter((i) => i.strategy === 'exploit').map((i) => i.mean - i.uncertainty);
    const worstExploit = Math.min(...exploitScores);
    const others = items.filter((i) => i.strategy === 'none').map((i) => i.mean - i.uncertainty);
    expect(Math.max(...others)).toBeLessThanOrEqual(worstExploit);
  });

  test('small pages keep the schedule’s share; later batches explore less', () => {
    const five = assignStrategies(scores(5), new Set(), 0);
    expect(five.filter((i) => i.strategy === 'explore')).toHaveLength(3);
    expect(five.filter((i) => i.strategy === 'exploit')).toHaveLength(2);
    const late = assignStrategies(scores(40), new Set(), 30);
    expect(late.filter((i) => i.strategy === 'explore')).toHaveLength(4);
    expect(late.filter((i) => i.strategy === 'exploit')).toHaveLength(16);
  });

  test('labelled records are no longer candidates: they get none and the others fill the batch', () => {
    const labelled = new Set([100, 101, 102]);
    const items = assignStrategies(scores(6), labelled, 0);
    expect(items.filter((i) => labelled.has(i.releaseId!)).every((i) => i.strategy === 'none')).toBe(true);
    expect(items.filter((i) => i.strategy !== 'none')).toHaveLength(3);
  });

  test('master-only records are candidates next to releases; release-only picks are unchanged by them', () => {
    const releases = scores(6);
    // Two masters: one the best of the page, one the most uncertain.
    const masters: ScoredRecord[] = [
      { releaseId: null, masterId: 500001, mean: 0.99, uncertainty: 0.01, aleatoric: 0.1 },
      { releaseId: null, masterId: 500002, mean: 0.5, uncertainty: 0.9, aleatoric: 0.1 },
    ];
    const items = assignStrategies([...releases, ...masters], new Set(), 0);
    expect(items).toHaveLength(8);
    // 8 records, batch 0: round(0.6 · 8) = 5 explore, 3 exploit; the masters win their slots.
    expect(items.filter((i) => i.strategy === 'explore')).toHaveLength(5);
    expect(items.filter((i) => i.strategy === 'exploit')).toHaveLength(3);
    expect(items.slice(6)).toEqual([
      { releaseId: null, masterId: 500001, strategy: 'exploit', mean: 0.99, uncertainty: 0.01, aleatoric: 0.1, learned: true },
      { releaseId: null, masterId: 500002, strategy: 'explore', mean: 0.5, uncertainty: 0.9, aleatoric: 0.1, learned: true },
    ]);
    // A labelled release id that happens to equal a master id does not make the master 'none'.
    const sameNumber = assignStrategies([{ releaseId: null, masterId: 100, mean: 0.9, uncertainty: 0.1, aleatoric: 0 }], new Set([100]), 0);
    expect(sameNumber[0]!.strategy).not.toBe('none');
  });

  test('before the model has learned anything: every unlabelled record explores, none exploits, all marked unlearned', () => {
    const labelled = new Set([101]);
    const items = assignUnlearned([...scores(30), { releaseId: null, masterId: 7, mean: 0.99, uncertainty: 0, aleatoric: 0 }], labelled, 1);
    expect(items).toHaveLength(31);
    expect(items.every((i) => i.learned === false && i.pendingLabels === 1)).toBe(true);
    expect(items.filter((i) => i.strategy === 'exploit')).toHaveLength(0);
    // Not 20 of the page by meaningless numbers: every unlabelled record, the master too.
    expect(items.filter((i) => i.strategy === 'explore')).toHaveLength(30);
    expect(items.find((i) => i.releaseId === 101)?.strategy).toBe('none');
  });

  test('Bayesian head (neural-ts): exploit when mean − std ≥ 50%, explore when std is at or above the page median, the rest none', () => {
    const page: ScoredRecord[] = [
      { releaseId: 1, mean: 0.9, uncertainty: 0.1, aleatoric: 0 }, // 80% one std lower: exploit
      { releaseId: 2, mean: 0.7, uncertainty: 0.3, aleatoric: 0 }, // 40% one std lower, std above the median: explore
      { releaseId: 3, mean: 0.05, uncertainty: 0.3, aleatoric: 0 }, // unknown: explore
      { releaseId: 4, mean: 0.05, uncertainty: 0.02, aleatoric: 0 }, // known, not a keeper: none
      { releaseId: 5, mean: 0.1, uncertainty: 0.05, aleatoric: 0 }, // none
      { releaseId: 6, mean: 0.95, uncertainty: 0.01, aleatoric: 0 }, // labelled: none, not a candidate
      { releaseId: null, masterId: 9, mean: 0.2, uncertainty: 0.2, aleatoric: 0 }, // at the median: explore
    ];
    const { items, page: stats } = assignByPosterior(page, new Set([6]));
    expect(stats.candidates).toBe(6);
    expect(stats.medianUncertainty).toBeCloseTo(0.15, 10);
    expect(items.map((i) => [i.releaseId ?? `m${i.masterId}`, i.strategy])).toEqual([
      [1, 'exploit'], [2, 'explore'], [3, 'explore'], [4, 'none'], [5, 'none'], [6, 'none'], ['m9', 'explore'],
    ]);
    expect(items.every((i) => i.learned)).toBe(true);
    // A page of records the labels say nothing about (all at the prior): all explore, none exploits.
    const unknown = assignByPosterior(scores(5).map((s) => ({ ...s, mean: 0.05, uncertainty: 0.4 })), new Set());
    expect(unknown.items.map((i) => i.strategy)).toEqual(['explore', 'explore', 'explore', 'explore', 'explore']);
  });

  test('page records become releases; unreadable ones are reported with the reason, duplicates dropped', () => {
    const { entries, rejected } = pageReleases([
      { releaseId: 5, release: { id: 5, title: 'A', artists: ['X (2)'], year: 1999 } },
      { releaseId: 5, release: { id: 5, title: 'A again' } },
      { releaseId: -1, release: { id: -1, title: 'bad' } },
      { releaseId: null, masterId: 5, release: { title: 'Master A', artists: ['X'] } },
      { releaseId: null, release: { title: 'neither id' } },
    ]);
    expect(entries.map((e) => [e.key, e.releaseId, e.release.artists[0], e.release.genres])).toEqual([
      ['r:5', 5, 'X', []],
      // The master with the same number is another record; it is scored as a release with its master id.
      ['m:5', null, 'X', []],
    ]);
    expect(entries[1]!.release).toMatchObject({ id: 5, masterId: 5, title: 'Master A' });
    expect(rejected).toHaveLength(2);
    expect(rejected[0]!.error).toMatch(/positive integer/);
    expect(rejected[1]!.error).toMatch(/releaseId or, for a master-only row, a masterId/);
  });
});

test('feature toggles: unset features are on, saved choices win', () => {
  expect(togglesWithDefaults(null)['record-badges']).toBe(true);
  const t = togglesWithDefaults({ 'why-shown': false, 'future-feature': false });
  expect(t['why-shown']).toBe(false);
  expect(t['label-buttons']).toBe(true);
  expect(t['future-feature']).toBe(false);
});

/** chrome.storage stand-in: a JSON round trip per write, like the real one (no shared references). */
class JsonStore implements QueueStore {
  text = '[]';
  failNextWrite = false;
  async read(): Promise<QueuedLabel[]> {
    return JSON.parse(this.text) as QueuedLabel[];
  }
  async write(labels: QueuedLabel[]): Promise<void> {
    if (this.failNextWrite) {
      this.failNextWrite = false;
      throw new Error('service worker stopped');
    }
    this.text = JSON.stringify(labels);
  }
}

describe('offline label queue against a real backend', () => {
  let app: App;
  let server: RunningServer;
  let client: BackendClient;
  let cleanup: () => void;
  const records = syntheticReleases(12, 700_000);
  let seq = 0;

  const label = (i: number, keeper = i % 2 === 0): QueuedLabel => ({
    clientId: `test-${++seq}`,
    releaseId: records[i]!.id,
    keeper,
    batchId: null,
    labelledAt: new Date(Date.UTC(2026, 10, 1, 12, 0, seq)).toISOString(),
    record: records[i]!,
  });

  const submit: SubmitLabels = async (labels) => {
    const res = await client.labels.submit.mutate({
      labels: labels.map(({ record, ...l }) => ({ ...l, ...(record ? { record } : {}) })),
    });
    return { accepted: res.accepted, duplicates: res.duplicates, modelVersion: res.modelVersion, completedBatchIds: res.completedBatchIds };
  };

  const backendLabelIds = async (): Promise<string[]> => {
    const res = await client.labels.since.query({ cursor: 0 });
    return (res.labels as { clientId: string }[]).map((l) => l.clientId);
  };

  beforeAll(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    app = await openApp(`${tmp.dir}/keepers.sqlite`, { autoTrain: false });
    server = await withServer(app);
    const { code } = await createPairingCode(app.db);
    const { token } = await createBackendClient(server.url, null).devices.pair.mutate({ pairingCode: code, deviceName: 'queue test' });
    client = createBackendClient(server.url, token);
  });

  afterAll(async () => {
    await server?.close();
    await app?.close();
    cleanup?.();
  });

  test('labels queued offline stay, survive a restart and reach the backend once', async () => {
    const store = new JsonStore();
    const offline = new LabelQueue(store, async () => {
      throw new Error('fetch failed');
    });
    await offline.enqueue(label(0));
    await offline.enqueue(label(1));
    await expect(offline.flush()).rejects.toThrow('fetch failed');
    expect(await offline.size()).toBe(2);

    // "Restart": a new queue over the same storage, now online.
    const online = new LabelQueue(store, submit);
    const result = await online.flush();
    expect(result).toMatchObject({ sent: 2, accepted: 2, duplicates: 0, remaining: 0 });
    const ids = await backendLabelIds();
    expect(ids.filter((id) => id === 'test-1' || id === 'test-2').sort()).toEqual(['test-1', 'test-2']);
  });

  test('a flush cut off after sending (worker stopped before removing) resends as duplicates, never twice', async () => {
    const store = new JsonStore();
    const queue = new LabelQueue(store, submit);
    const labels = [label(2), label(3), label(4)];
    for (const l of labels) await queue.enqueue(l);
    store.failNextWrite = true; // the removal after a successful submit fails
    await expect(queue.flush()).rejects.toThrow('service worker stopped');
    expect(await queue.size()).toBe(3);

    const restarted = new LabelQueue(store, submit);
    const again = await restarted.flush();
    expect(again).toMatchObject({ sent: 3, accepted: 0, duplicates: 3, remaining: 0 });
    const onBackend = await backendLabelIds();
    for (const l of labels) expect(onBackend.filter((id) => id === l.clientId)).toHaveLength(1);
  });

  test('concurrent flushes share one send; a label queued during a flush is kept for the next', async () => {
    const store = new JsonStore();
    let calls = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const queue = new LabelQueue(store, async (labels) => {
      calls++;
      await gate;
      return submit(labels);
    });
    await queue.enqueue(label(5));
    const a = queue.flush();
    const b = queue.flush();
    const late = label(6);
    const enqueued = queue.enqueue(late);
    release();
    const [ra, rb] = await Promise.all([a, b, enqueued]);
    expect(ra).toBe(rb);
    // The late label was picked up by the same flush's next chunk round or stays queued; never lost.
    const remaining = (await queue.list()).map((l) => l.clientId);
    const sent = await backendLabelIds();
    expect(sent.includes(late.clientId) || remaining.includes(late.clientId)).toBe(true);
    expect(calls).toBeLessThanOrEqual(2);
    await queue.flush();
    expect(await queue.size()).toBe(0);
    expect((await backendLabelIds()).filter((id) => id === late.clientId)).toHaveLength(1);
  });

  test('undo removes a label that was not sent; a sent one cannot be removed', async () => {
    const store = new JsonStore();
    const queue = new LabelQueue(store, submit);
    const keep = label(7);
    const undone = label(8);
    await queue.enqueue(keep);
    await queue.enqueue(undone);
    expect(await queue.remove(undone.clientId)).toBe(true);
    await queue.flush();
    expect(await queue.remove(keep.clientId)).toBe(false);
    const onBackend = await backendLabelIds();
    expect(onBackend).toContain(keep.clientId);
    expect(onBackend).not.toContain(undone.clientId);
  });
});
