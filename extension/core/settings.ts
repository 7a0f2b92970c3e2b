// Everything the extension keeps in chrome.storage.local (survives restarts of the service worker and
// of the browser). Only the background writes these, except the options page through messages.
import { storage } from '@wxt-dev/storage';
import type { Release } from '../../shared/schemas';
import type { QueuedLabel, QueueStore, RefusedLabel } from './labelQueue';
import type { BackendPreference, PopupBatch } from './messaging';
import { DEFAULT_BACKEND_URL } from './backendClient';

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
  /** The backend's batch counter as last seen (schedule of the page badges). */
  batchNumber: number;
  /** The learner policy the backend runs (bandit.policy) as last seen; null before the first answer (or a backend without one). */
  policy?: string | null;
}

export interface LocalLabel {
  keeper: boolean;
  labelledAt: string;
  release: Release | null;
}

export const EMPTY_SYNC: SyncRecord = { cursor: 0, lastSyncAt: null, lastError: null, remoteModelVersion: null, batchNumber: 0, policy: null };

export const backendUrlItem = storage.defineItem<string>('local:backendUrl', { fallback: DEFAULT_BACKEND_URL });
/** The pairing (with its token) is not here but in the extension's IndexedDB: core/secrets.ts. */
export const queueItem = storage.defineItem<QueuedLabel[]>('local:labelQueue', { fallback: [] });
/** Labels the backend refused for good (they left the queue so the rest could be sent), newest last. */
export const refusedLabelsItem = storage.defineItem<RefusedLabel[]>('local:refusedLabels', { fallback: [] });
/** This device's view of every label (its own and those pulled from the backend), keyed by release id. */
export const labelsItem = storage.defineItem<Record<string, LocalLabel>>('local:labels', { fallback: {} });
export const syncItem = storage.defineItem<SyncRecord>('local:sync', { fallback: EMPTY_SYNC });
export const togglesItem = storage.defineItem<Record<string, boolean> | null>('local:featureToggles', { fallback: null });
export const backendPreferenceItem = storage.defineItem<BackendPreference>('local:tfBackend', { fallback: 'auto' });
export const currentBatchItem = storage.defineItem<PopupBatch | null>('local:currentBatch', { fallback: null });

export const queueStore: QueueStore = {
  read: () => queueItem.getValue(),
  write: (labels) => queueItem.setValue(labels),
};
