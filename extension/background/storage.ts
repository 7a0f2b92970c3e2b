// What the background keeps between service-worker restarts, as an interface: the extension passes
// chrome.storage.local and IndexedDB (background/browserStorage.ts), the unit tests an in-memory map.
// Every service gets the same object, so none of them imports the browser's storage itself.
import type { ModelArtifacts } from '../../shared/model';
import type { Release } from '../../shared/schemas';
import type { QueueStore, RefusedLabel } from '../core/labelQueue';
import type { BackendPreference, PopupBatch } from '../core/messaging';

/** One stored value (the two calls of a @wxt-dev/storage item). */
export interface StoredValue<T> {
  getValue(): Promise<T>;
  setValue(value: T): Promise<void>;
}

export interface Pairing {
  backendUrl: string;
  token: string;
  deviceId: number;
  deviceName: string;
}

export interface SyncRecord {
  /** labels.since cursor (0 = from the start). */
  cursor: number;
  lastSyncAt: string | null;
  lastError: string | null;
  remoteModelVersion: string | null;
  /** The backend's batch counter as last seen (models.latest batchCount; the schedule of the page badges). */
  batchNumber: number;
  /** The explore share of the last batch the backend picked (bandit.selectBatch); null before the first. */
  exploreRate?: number | null;
  /** The learner policy the backend runs (bandit.policy) as last seen; null before the first answer (or a backend without one). */
  policy?: string | null;
}

export interface LocalLabel {
  keeper: boolean;
  labelledAt: string;
  release: Release | null;
}

export const EMPTY_SYNC: SyncRecord = { cursor: 0, lastSyncAt: null, lastError: null, remoteModelVersion: null, batchNumber: 0, exploreRate: null, policy: null };

/** The active model's artifacts, so a restarted service worker scores at once and offline. */
export interface ModelCache {
  read(): Promise<ModelArtifacts | null>;
  write(artifacts: ModelArtifacts): Promise<void>;
  clear(): Promise<void>;
}

export interface BackgroundStorage {
  /** The device token and where it is valid; kept where content scripts cannot read it (core/secrets.ts). */
  pairing: StoredValue<Pairing | null>;
  /** The backend address last entered (shown before pairing). */
  backendUrl: StoredValue<string>;
  /** This device's view of every label (its own and those pulled from the backend), keyed by release id. */
  labels: StoredValue<Record<string, LocalLabel>>;
  sync: StoredValue<SyncRecord>;
  /** The popup's batch, with the labels given so far. */
  currentBatch: StoredValue<PopupBatch | null>;
  /** Labels the backend refused for good (they left the queue so the rest could be sent), newest last. */
  refusedLabels: StoredValue<RefusedLabel[]>;
  /** The offline label queue (core/labelQueue.ts). */
  queue: QueueStore;
  toggles: StoredValue<Record<string, boolean> | null>;
  backendPreference: StoredValue<BackendPreference>;
  modelCache: ModelCache;
}

/**
 * Serialises every read-modify-write of the stored values across the services (labels, current batch,
 * sync record): storage answers asynchronously, so two interleaved updates would lose one.
 */
export class StorageLock {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.last.then(fn, fn);
    this.last = run.catch(() => undefined);
    return run;
  }
}
