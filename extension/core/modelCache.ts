// The active model's artifacts in IndexedDB, so a restarted service worker scores at once and offline.
import type { ModelArtifacts } from '../../shared/model';
import { idbStore } from './idb';

const DB_NAME = 'keepers';
const STORE = 'models';
const ACTIVE_KEY = 'active';

const withStore = idbStore(DB_NAME, STORE);

export async function readCachedArtifacts(): Promise<ModelArtifacts | null> {
  const value = await withStore<unknown>('readonly', (s) => s.get(ACTIVE_KEY));
  return (value as ModelArtifacts | undefined) ?? null;
}

export async function writeCachedArtifacts(artifacts: ModelArtifacts): Promise<void> {
  await withStore('readwrite', (s) => s.put(artifacts, ACTIVE_KEY));
}

export async function clearCachedArtifacts(): Promise<void> {
  await withStore('readwrite', (s) => s.delete(ACTIVE_KEY));
}
