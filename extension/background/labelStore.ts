// The label write path: a label from a page or the popup is queued (core/labelQueue.ts, sent later in
// one request per burst), applied at once to this device's view of the labels and to the popup's batch,
// and merged with other devices' labels when sync pulls them (the later label wins).
import { describeBackendError, isUnauthorized } from '../core/backendClient';
import { LabelQueue, type QueuedLabel, type RefusedLabel, type SubmitResult } from '../core/labelQueue';
import { REFUSED_MARK, type PageRecord } from '../core/messaging';
import { releaseFromPageRecord } from '../core/records';
import type { BackendConnection } from './connection';
import type { RecentRecords } from './recentRecords';
import type { BackgroundStorage, LocalLabel, StorageLock } from './storage';

const plural = (n: number, one: string): string => `${n} ${n === 1 ? one : `${one}s`}`;

/** Refused labels kept for the user to see. */
const REFUSED_KEPT = 50;
/** Labels are sent this long after the last one, so a burst of labels goes in one request. */
const FLUSH_DELAY_MS = 1500;

/** A label as labels.since answers it (another device's, or this one's from before). */
export interface RemoteLabel {
  releaseId: number;
  keeper: boolean;
  labelledAt: string;
}

export interface LabelStoreDeps {
  storage: Pick<BackgroundStorage, 'labels' | 'currentBatch' | 'sync' | 'refusedLabels' | 'queue' | 'pairing'>;
  lock: StorageLock;
  connection: BackendConnection;
  recent: RecentRecords;
  /**
   * What labels.submit answered: the batches the labels finished (the backend updates the model from
   * them now) and the backend's model version; the background syncs when either says there is news.
   */
  onSubmitted: (result: SubmitResult) => void;
  flushDelayMs?: number;
}

export class LabelStore {
  readonly queue: LabelQueue;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly deps: LabelStoreDeps) {
    this.queue = new LabelQueue(deps.storage.queue, (labels) => this.submitToBackend(labels), { onRefused: (refused) => this.noteRefused(refused) });
  }

  async submitLabel(data: { releaseId: number; keeper: boolean; batchId?: number | null; record?: PageRecord }): Promise<{ queued: number; clientId: string }> {
    const { storage, lock } = this.deps;
    if (!Number.isSafeInteger(data.releaseId) || data.releaseId <= 0) throw new Error(`submitLabel: releaseId must be a positive integer, got ${String(data.releaseId)}`);
    if (typeof data.keeper !== 'boolean') throw new Error('submitLabel: keeper must be true or false');
    const batch = await storage.currentBatch.getValue();
    const batchItem = batch && batch.batchId === data.batchId ? batch.items.find((i) => i.releaseId === data.releaseId) : undefined;
    if (data.record && data.record.releaseId !== data.releaseId) {
      throw new Error(`submitLabel: record.releaseId ${String(data.record.releaseId)} does not match releaseId ${data.releaseId}`);
    }
    const release = data.record ? releaseFromPageRecord(data.record) : (this.deps.recent.get(`r:${data.releaseId}`) ?? batchItem?.release ?? null);
    const label: QueuedLabel = {
      clientId: crypto.randomUUID(),
      releaseId: data.releaseId,
      keeper: data.keeper,
      batchId: data.batchId ?? null,
      labelledAt: new Date().toISOString(),
      record: release,
    };
    const queued = await this.queue.enqueue(label);
    const finished = await lock.run(async () => {
      const labels = await storage.labels.getValue();
      labels[String(data.releaseId)] = { keeper: data.keeper, labelledAt: label.labelledAt, release };
      await storage.labels.setValue(labels);
      // Re-read: another label of the same batch may have been stored meanwhile.
      const current = await storage.currentBatch.getValue();
      const item = current && current.batchId === data.batchId ? current.items.find((i) => i.releaseId === data.releaseId) : undefined;
      if (!current || !item) return false;
      item.label = { keeper: data.keeper, clientId: label.clientId };
      await storage.currentBatch.setValue(current);
      return current.items.every((i) => i.label);
    });
    // The popup's batch is done: send it now, so the backend updates the model at once.
    if (finished) void this.flushQuietly();
    else this.scheduleFlush();
    return { queued, clientId: label.clientId };
  }

  async undoLabel(clientId: string): Promise<{ removed: boolean; queued: number }> {
    const { storage, lock } = this.deps;
    const queued = await this.queue.list();
    const label = queued.find((l) => l.clientId === clientId);
    const removed = await this.queue.remove(clientId);
    await lock.run(async () => {
      const batch = await storage.currentBatch.getValue();
      const batchItem = batch?.items.find((i) => i.label?.clientId === clientId);
      const releaseId = label?.releaseId ?? batchItem?.releaseId;
      if (removed && releaseId !== undefined) {
        const labels = await storage.labels.getValue();
        delete labels[String(releaseId)];
        await storage.labels.setValue(labels);
      }
      if (batch && batchItem) {
        // Already synced labels stay on the backend; labelling again sends a new label that replaces it.
        batchItem.label = null;
        await storage.currentBatch.setValue(batch);
      }
    });
    return { removed, queued: await this.queue.size() };
  }

  /** Sends every queued label now (sync, and before the popup asks for a new batch). */
  flush(): Promise<unknown> {
    return this.queue.flush();
  }

  /**
   * Other devices' labels (labels.since) into this device's view. A label replaces the one held here
   * only when it is at least as recent: compared as instants, since the backend stores UTC and this
   * device may hold another offset.
   */
  async mergeRemote(remote: RemoteLabel[]): Promise<void> {
    if (remote.length === 0) return;
    const { storage, lock, recent } = this.deps;
    await lock.run(async () => {
      const labels = await storage.labels.getValue();
      for (const l of remote) {
        const key = String(l.releaseId);
        const mine: LocalLabel | undefined = labels[key];
        if (!mine || Date.parse(mine.labelledAt) <= Date.parse(l.labelledAt)) {
          labels[key] = { keeper: l.keeper, labelledAt: l.labelledAt, release: mine?.release ?? recent.get(`r:${l.releaseId}`) ?? null };
        }
      }
      await storage.labels.setValue(labels);
    });
  }

  private scheduleFlush(): void {
    this.cancelFlush();
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flushQuietly();
    }, this.deps.flushDelayMs ?? FLUSH_DELAY_MS);
  }

  private cancelFlush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  private async flushQuietly(): Promise<void> {
    this.cancelFlush();
    if (!(await this.deps.storage.pairing.getValue())) return;
    try {
      await this.queue.flush();
    } catch (err) {
      await this.noteFlushError(err);
    }
  }

  private async noteFlushError(err: unknown): Promise<void> {
    const { storage, lock } = this.deps;
    const message = describeBackendError(err);
    await lock.run(async () => storage.sync.setValue({ ...(await storage.sync.getValue()), lastError: message }));
    if (isUnauthorized(err)) console.warn('[keepers] backend refused the device token:', message);
  }

  /** Labels the backend refused: kept (the last REFUSED_KEPT) for the options page, and said in the sync status. */
  private async noteRefused(refused: RefusedLabel[]): Promise<void> {
    const { storage, lock } = this.deps;
    await lock.run(async () => {
      const kept = [...(await storage.refusedLabels.getValue()), ...refused].slice(-REFUSED_KEPT);
      await storage.refusedLabels.setValue(kept);
      const sync = await storage.sync.getValue();
      const first = refused[0]!;
      await storage.sync.setValue({
        ...sync,
        lastError: `${plural(refused.length, 'label')} ${REFUSED_MARK} and not saved there (release ${first.label.releaseId}: ${first.reason}); the other labels were sent.`,
      });
    });
    console.warn('[keepers] labels refused by the backend:', refused);
  }

  /** Each label carries its record (the backend needs metadata for records it never saw); idempotent on clientId. */
  private async submitToBackend(labels: QueuedLabel[]): Promise<SubmitResult> {
    const { client } = await this.deps.connection.required('Not paired: labels stay queued until this device is paired');
    const res = await client.labels.submit.mutate({
      labels: labels.map(({ clientId, releaseId, keeper, batchId, labelledAt, record }) => ({
        clientId,
        releaseId,
        keeper,
        batchId: batchId ?? null,
        labelledAt,
        ...(record ? { record } : {}),
      })),
    });
    const result: SubmitResult = { accepted: res.accepted, duplicates: res.duplicates, modelVersion: res.modelVersion ?? null, completedBatchIds: res.completedBatchIds };
    this.deps.onSubmitted(result);
    return result;
  }
}
