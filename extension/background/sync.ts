// Sync with the backend, one at a time: send the queued labels, pull other devices' labels since the
// cursor, the learner policy and, when models.latest changed, the new weights. What it learns goes to
// the sync record; a sync of a pairing that was replaced meanwhile writes nothing.
import { TRPCClientError } from '@trpc/client';
import { describeBackendError, type BackendClient } from '../core/backendClient';
import { REFUSED_MARK, type SyncState } from '../core/messaging';
import type { BackendConnection } from './connection';
import type { LabelStore } from './labelStore';
import type { LocalModel } from './localModel';
import { isMissingProcedure } from './policy';
import type { BackgroundStorage, StorageLock, SyncRecord } from './storage';

const LABEL_PAGE_SIZE = 1000;
/** Pages of labels pulled per sync at most; the rest comes with the next one. */
const LABEL_PAGES = 20;

/** models.latest, or null while the backend has no model version yet (NOT_FOUND). */
async function latestModel(client: BackendClient) {
  try {
    return await client.models.latest.query();
  } catch (err) {
    if (err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === 'NOT_FOUND') return null;
    throw err;
  }
}

export interface SyncDeps {
  storage: Pick<BackgroundStorage, 'sync' | 'pairing' | 'backendUrl' | 'modelCache'>;
  lock: StorageLock;
  connection: BackendConnection;
  model: LocalModel;
  labels: LabelStore;
}

export class Sync {
  private running: Promise<SyncState> | null = null;

  constructor(private readonly deps: SyncDeps) {}

  /** Flush labels, pull other devices' labels, refresh weights when models.latest changed. One at a time. */
  syncNow(): Promise<SyncState> {
    this.running ??= this.syncOnce().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Resolves when the sync in flight (if any) has finished, whether it failed or not. */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async syncOnce(): Promise<SyncState> {
    const { storage, lock, model } = this.deps;
    const conn = await this.deps.connection.current();
    if (!conn) return this.syncState();
    const { client } = conn;
    const sync = await storage.sync.getValue();
    const errorBefore = sync.lastError;
    try {
      await this.deps.labels.flush();
      await this.pullLabels(client, sync);
      sync.policy = await this.fetchPolicy(client, sync.policy ?? null);
      const latest = await latestModel(client);
      sync.remoteModelVersion = latest?.version ?? null;
      if (latest) sync.batchNumber = latest.batchCount;
      const scorer = await model.ready();
      if (latest && latest.version !== scorer.status().modelVersion) {
        const artifacts = await client.models.weights.query({ version: latest.version });
        await scorer.useArtifacts(artifacts); // verifies sha256 and the feature schema version
        await storage.modelCache.write(artifacts);
      }
      sync.lastError = null;
    } catch (err) {
      sync.lastError = describeBackendError(err);
      console.warn('[keepers] sync failed:', sync.lastError);
    }
    sync.lastSyncAt = new Date().toISOString();
    await lock.run(async () => {
      // Paired again (or forgotten) while this sync ran: its cursor and versions belong to the old
      // backend and must not be written over the new pairing's.
      if ((await storage.pairing.getValue())?.token !== conn.pairing.token) return;
      const now = await storage.sync.getValue();
      // A refusal noted during this sync's flush is shown until the next sync, unless the sync failed for another reason.
      const refusedNow = now.lastError !== errorBefore && (now.lastError?.includes(REFUSED_MARK) ?? false);
      const lastError = sync.lastError ?? (refusedNow ? now.lastError : null);
      await storage.sync.setValue({ ...now, ...sync, lastError });
    });
    return this.syncState();
  }

  /** bandit.policy's choice; a backend without the procedure (older) keeps the last known one. */
  private async fetchPolicy(client: BackendClient, known: string | null): Promise<string | null> {
    try {
      const { policy } = await client.bandit.policy.query();
      this.deps.model.scorer.setPolicy(policy);
      return policy;
    } catch (err) {
      if (isMissingProcedure(err)) return known;
      throw err;
    }
  }

  /** Labels from other devices since the cursor, a page at a time (at most LABEL_PAGES pages per sync). */
  private async pullLabels(client: BackendClient, sync: SyncRecord): Promise<void> {
    for (let page = 0; page < LABEL_PAGES; page++) {
      const res = await client.labels.since.query({ cursor: sync.cursor, limit: LABEL_PAGE_SIZE });
      await this.deps.labels.mergeRemote(res.labels);
      sync.cursor = res.cursor;
      if (res.labels.length < LABEL_PAGE_SIZE) break;
    }
  }

  async syncState(): Promise<SyncState> {
    const { storage } = this.deps;
    const [pairing, sync, queued, backendUrl] = await Promise.all([
      storage.pairing.getValue(), storage.sync.getValue(), this.deps.labels.queue.size(), storage.backendUrl.getValue(),
    ]);
    return {
      paired: pairing !== null,
      backendUrl: pairing?.backendUrl ?? backendUrl,
      deviceId: pairing?.deviceId ?? null,
      queued,
      lastSyncAt: sync.lastSyncAt,
      lastError: sync.lastError,
      remoteModelVersion: sync.remoteModelVersion,
    };
  }
}
