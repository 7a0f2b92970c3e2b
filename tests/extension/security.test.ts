// Issue 10's extension defects: the label queue blocked for ever by one refused label (3), undo that
// said "removed" for a label already in flight (5), and the background trusting every sender (4).
// The queue runs against a real backend (SQLite in a temp dir, HTTP on 127.0.0.1, the extension's client).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createBackendClient, type BackendClient } from '../../extension/core/backendClient';
import { LabelQueue, type QueuedLabel, type QueueStore, type RefusedLabel, type SubmitLabels } from '../../extension/core/labelQueue';
import { senderRefusal, CONTENT_SCRIPT_MESSAGES } from '../../extension/core/senders';
import { createPairingCode } from '../../backend/auth';
import type { App } from '../../backend/app';
import type { RunningServer } from '../../backend/server';
import { openApp, syntheticReleases, tempDir, withServer } from '../backend/helpers';

class MemoryStore implements QueueStore {
  labels: QueuedLabel[] = [];
  async read(): Promise<QueuedLabel[]> {
    return structuredClone(this.labels);
  }
  async write(labels: QueuedLabel[]): Promise<void> {
    this.labels = structuredClone(labels);
  }
}

describe('label queue: refused labels and undo', () => {
  let app: App;
  let server: RunningServer;
  let client: BackendClient;
  let cleanup: () => void;
  const records = syntheticReleases(10, 710_000);
  let seq = 0;
  const label = (i: number, extra: Partial<QueuedLabel> = {}): QueuedLabel => ({
    clientId: `sec-${++seq}`,
    releaseId: records[i]!.id,
    keeper: i % 2 === 0,
    batchId: null,
    labelledAt: new Date().toISOString(),
    record: records[i]!,
    ...extra,
  });
  const submit: SubmitLabels = async (labels) => {
    const res = await client.labels.submit.mutate({ labels: labels.map(({ record, ...l }) => ({ ...l, ...(record ? { record } : {}) })) });
    return { accepted: res.accepted, duplicates: res.duplicates, modelVersion: res.modelVersion, completedBatchIds: res.completedBatchIds };
  };
  const onBackend = async () => ((await client.labels.since.query({ cursor: 0, limit: 1000 })).labels as { clientId: string; batchId: number | null }[]);

  beforeAll(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    app = await openApp(`${tmp.dir}/keepers.sqlite`, { autoTrain: false });
    server = await withServer(app);
    const { code } = await createPairingCode(app.db);
    const { token } = await createBackendClient(server.url, null).devices.pair.mutate({ pairingCode: code, deviceName: 'security test' });
    client = createBackendClient(server.url, token);
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
    cleanup?.();
  });

  test('3: one refused label no longer blocks the queue: the rest is delivered, a stale batch id is dropped, the refusal is reported', async () => {
    const store = new MemoryStore();
    const reported: RefusedLabel[] = [];
    const queue = new LabelQueue(store, submit, { onRefused: (r) => void reported.push(...r) });
    const good1 = label(0);
    // Queued under another backend (before re-pairing): its batch id means nothing here.
    const staleBatch = label(1, { batchId: 987_654 });
    // Unknown here and sent without its record: refused for good.
    const unknown: QueuedLabel = { ...label(2), releaseId: 99_999_999, record: null };
    const good2 = label(3);
    for (const l of [good1, staleBatch, unknown, good2]) await queue.enqueue(l);
    const result = await queue.flush();
    expect(result.remaining).toBe(0);
    expect(result.refused.map((r) => r.label.clientId)).toEqual([unknown.clientId]);
    expect(result.refused[0]!.reason).toMatch(/Unknown release id 99999999/);
    expect(reported.map((r) => r.label.clientId)).toEqual([unknown.clientId]);
    const stored = new Map((await onBackend()).map((l) => [l.clientId, l]));
    expect(stored.has(good1.clientId) && stored.has(good2.clientId)).toBe(true);
    expect(stored.get(staleBatch.clientId)?.batchId).toBeNull();
    expect(stored.has(unknown.clientId)).toBe(false);
    // A second flush has nothing left to send.
    expect((await queue.flush()).sent).toBe(0);
  });

  test('3: a delivery failure (offline) keeps everything queued and reports no refusal', async () => {
    const store = new MemoryStore();
    const queue = new LabelQueue(store, async () => {
      throw new TypeError('fetch failed');
    });
    await queue.enqueue(label(4));
    await expect(queue.flush()).rejects.toThrow('fetch failed');
    expect(await queue.size()).toBe(1);
  });

  test('5: undo while the label is being sent says "not removed", and the label is on the backend', async () => {
    const store = new MemoryStore();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const sending = new Promise<void>((r) => (entered = r));
    const queue = new LabelQueue(store, async (labels) => {
      entered();
      await gate;
      return submit(labels);
    });
    const l = label(5);
    await queue.enqueue(l);
    const flushing = queue.flush();
    await sending;
    const removed = queue.remove(l.clientId);
    release();
    expect(await removed).toBe(false);
    await flushing;
    expect((await onBackend()).some((x) => x.clientId === l.clientId)).toBe(true);
    // A label queued after the flush started can still be taken back.
    const later = label(6);
    await queue.enqueue(later);
    expect(await queue.remove(later.clientId)).toBe(true);
  });
});

describe('4: messages from unexpected senders are refused', () => {
  const extension = { id: 'abcdefghijklmnopabcdefghijklmnop', origin: 'chrome-extension://abcdefghijklmnopabcdefghijklmnop' };
  const popup = { id: extension.id, url: `${extension.origin}/popup.html` };
  const discogs = { id: extension.id, url: 'https://www.discogs.com/release/1-Some-Record' };

  test('extension pages may send everything; Discogs pages only score, explain and label', () => {
    for (const m of ['pairDevice', 'forgetDevice', 'getStatus', 'syncNow', 'setPolicy', 'submitLabel', 'scoreRecords']) expect(senderRefusal(m, popup, extension)).toBeNull();
    for (const m of CONTENT_SCRIPT_MESSAGES) expect(senderRefusal(m, discogs, extension)).toBeNull();
    for (const m of ['pairDevice', 'forgetDevice', 'getStatus', 'syncNow', 'setPolicy', 'getPolicy', 'undoLabel', 'getBatch', 'setBackendPreference', 'setFeatureToggles']) {
      expect(senderRefusal(m, discogs, extension)).toMatch(/refused/);
    }
  });

  test('another extension, another site, a look-alike host or plain http are refused', () => {
    expect(senderRefusal('submitLabel', { ...discogs, id: 'otherextension' }, extension)).toMatch(/does not come from this extension/);
    expect(senderRefusal('submitLabel', { id: extension.id, url: 'https://evil.example/' }, extension)).toMatch(/neither/);
    expect(senderRefusal('submitLabel', { id: extension.id, url: 'https://www.discogs.com.evil.example/' }, extension)).toMatch(/neither/);
    expect(senderRefusal('submitLabel', { id: extension.id, url: 'http://www.discogs.com/' }, extension)).toMatch(/neither/);
    expect(senderRefusal('submitLabel', { id: extension.id, url: `${extension.origin}evil.example/` }, extension)).toMatch(/refused/);
    expect(senderRefusal('submitLabel', { id: extension.id }, extension)).toMatch(/refused/);
  });
});
