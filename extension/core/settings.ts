// Everything the extension keeps in chrome.storage.local (survives restarts of the service worker and
// of the browser). Only the background writes these, except the options page through messages.
// The shapes are background/storage.ts's; background/browserStorage.ts hands these items to the services.
import { storage } from '@wxt-dev/storage';
import type { QueuedLabel, QueueStore, RefusedLabel } from './labelQueue';
import type { BackendPreference, PopupBatch } from './messaging';
import { DEFAULT_BACKEND_URL } from './backendClient';
import { EMPTY_SYNC, type LocalLabel, type SyncRecord } from '../background/storage';

export const backendUrlItem = storage.defineItem<string>('local:backendUrl', { fallback: DEFAULT_BACKEND_URL });
/** The pairing (with its token) is not here but in the extension's IndexedDB: core/secrets.ts. */
const queueItem = storage.defineItem<QueuedLabel[]>('local:labelQueue', { fallback: [] });
export const refusedLabelsItem = storage.defineItem<RefusedLabel[]>('local:refusedLabels', { fallback: [] });
export const labelsItem = storage.defineItem<Record<string, LocalLabel>>('local:labels', { fallback: {} });
export const syncItem = storage.defineItem<SyncRecord>('local:sync', { fallback: EMPTY_SYNC });
export const togglesItem = storage.defineItem<Record<string, boolean> | null>('local:featureToggles', { fallback: null });
export const backendPreferenceItem = storage.defineItem<BackendPreference>('local:tfBackend', { fallback: 'auto' });
export const currentBatchItem = storage.defineItem<PopupBatch | null>('local:currentBatch', { fallback: null });

export const queueStore: QueueStore = {
  read: () => queueItem.getValue(),
  write: (labels) => queueItem.setValue(labels),
};
