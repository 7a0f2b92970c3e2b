// The background's services in Node: an in-memory storage that answers asynchronously like
// chrome.storage (every call a round trip of 0–2 ms, values copied), the real model (tfjs WASM) and
// real backends (SQLite in a temp dir, HTTP on 127.0.0.1) to pair with.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { createBackground, type Background, type BackgroundDeps } from '../../extension/background';
import { EMPTY_SYNC, type BackgroundStorage, type StoredValue } from '../../extension/background/storage';
import { DEFAULT_BACKEND_URL } from '../../extension/core/backendClient';
import type { QueuedLabel } from '../../extension/core/labelQueue';
import { Scorer } from '../../extension/core/scorer';
import { createPairingCode } from '../../backend/auth';
import type { App } from '../../backend/app';
import type { RunningServer } from '../../backend/server';
import { openApp, withServer } from '../backend/helpers';

const require = createRequire(import.meta.url);
export const WASM_DIR = `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`;

/** chrome.storage answers asynchronously (IPC): each call takes 0–2 ms, in a fixed rotation. */
let tick = 0;
const roundTrip = () => new Promise((resolve) => setTimeout(resolve, tick++ % 3));

function memoryValue<T>(values: Map<string, unknown>, key: string, fallback: T): StoredValue<T> {
  return {
    getValue: async () => {
      await roundTrip();
      return structuredClone((values.has(key) ? values.get(key) : fallback) as T);
    },
    setValue: async (value: T) => {
      await roundTrip();
      values.set(key, structuredClone(value));
    },
  };
}

/** A fresh in-memory storage; `values` is what it holds, by key. */
export function memoryStorage(): BackgroundStorage & { values: Map<string, unknown> } {
  const values = new Map<string, unknown>();
  const queue = memoryValue<QueuedLabel[]>(values, 'labelQueue', []);
  return {
    values,
    pairing: memoryValue(values, 'pairing', null),
    backendUrl: memoryValue(values, 'backendUrl', DEFAULT_BACKEND_URL),
    labels: memoryValue(values, 'labels', {}),
    sync: memoryValue(values, 'sync', EMPTY_SYNC),
    currentBatch: memoryValue(values, 'currentBatch', null),
    refusedLabels: memoryValue(values, 'refusedLabels', []),
    queue: { read: () => queue.getValue(), write: (labels) => queue.setValue(labels) },
    toggles: memoryValue(values, 'toggles', null),
    backendPreference: memoryValue(values, 'backendPreference', 'auto'),
    modelCache: {
      read: async () => null,
      write: async () => undefined,
      clear: async () => undefined,
    },
  };
}

/** The services over a fresh in-memory storage and the real model (tfjs WASM in Node). */
export function testBackground(deps: Partial<BackgroundDeps> = {}): Background {
  return createBackground({
    storage: memoryStorage(),
    scorer: new Scorer({ wasmPaths: WASM_DIR }),
    defaultDeviceName: () => 'test device',
    ...deps,
  });
}

export interface TestBackend {
  app: App;
  server: RunningServer;
  /** The address a user types in the options (no /trpc). */
  url: string;
  close(): Promise<void>;
}

/** A backend on 127.0.0.1; it trains on finished batches only when `autoTrain` says so. */
export async function startBackend(dbFile: string, opts: { autoTrain?: boolean } = {}): Promise<TestBackend> {
  const app = await openApp(dbFile, { autoTrain: opts.autoTrain ?? false });
  const server = await withServer(app);
  return {
    app,
    server,
    url: server.url.replace(/\/trpc$/, ''),
    close: async () => {
      await server.close();
      await app.close();
    },
  };
}

/** Pairs `background` with `backend` the way the options page does (a code from `keepers pair`). */
export async function pair(background: Background, backend: TestBackend, deviceName = 'test device'): Promise<{ deviceId: number }> {
  const { code } = await createPairingCode(backend.app.db);
  return background.handlers.pairDevice({ backendUrl: backend.url, pairingCode: code, deviceName });
}
