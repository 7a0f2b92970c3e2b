// The active model's artifacts in IndexedDB, so a restarted service worker scores at once and offline.
import type { ModelArtifacts } from '../../shared/model';

const DB_NAME = 'keepers';
const STORE = 'models';
const ACTIVE_KEY = 'active';

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
  });
}

async function withStore<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await openDb();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const req = fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
  } finally {
    db.close();
  }
}

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
