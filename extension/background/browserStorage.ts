// The background's storage in the browser: chrome.storage.local items (core/settings.ts), the pairing
// in the extension's IndexedDB (core/secrets.ts) and the model cache (core/modelCache.ts).
import { clearCachedArtifacts, readCachedArtifacts, writeCachedArtifacts } from '../core/modelCache';
import { pairingItem } from '../core/secrets';
import {
  backendPreferenceItem, backendUrlItem, currentBatchItem, labelsItem, queueStore, refusedLabelsItem, syncItem, togglesItem,
} from '../core/settings';
import type { BackgroundStorage } from './storage';

export function browserStorage(): BackgroundStorage {
  return {
    pairing: pairingItem,
    backendUrl: backendUrlItem,
    labels: labelsItem,
    sync: syncItem,
    currentBatch: currentBatchItem,
    refusedLabels: refusedLabelsItem,
    queue: queueStore,
    toggles: togglesItem,
    backendPreference: backendPreferenceItem,
    modelCache: { read: readCachedArtifacts, write: writeCachedArtifacts, clear: clearCachedArtifacts },
  };
}
