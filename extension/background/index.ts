// The background's services, composed from one storage, one backend client factory and one scorer.
// background.ts (the service worker) passes the browser's; the unit tests pass an in-memory storage,
// a real backend on 127.0.0.1 and the real model. `handlers` answers the messages of core/messaging.ts.
import type { SubmitResult } from '../core/labelQueue';
import type { ProtocolMap } from '../core/messaging';
import type { Scorer } from '../core/scorer';
import { PopupBatches } from './batches';
import { BackendConnection, type CreateClient } from './connection';
import { LabelStore } from './labelStore';
import { LocalModel } from './localModel';
import { PageScoring } from './pageScoring';
import { DevicePairing } from './pairing';
import { PolicyChoice } from './policy';
import { RecentRecords } from './recentRecords';
import { StatusAndSettings } from './status';
import { StorageLock, type BackgroundStorage } from './storage';
import { Sync } from './sync';

export interface BackgroundDeps {
  storage: BackgroundStorage;
  scorer: Scorer;
  /** The tRPC client of a backend (core/backendClient.ts createBackendClient unless given). */
  createClient?: CreateClient;
  /** The device name when the user gives none. */
  defaultDeviceName?: () => string;
  /** Quiet time after a label before the queue is sent (a burst of labels goes in one request). */
  flushDelayMs?: number;
}

/** One handler per message: what the background answers, given the message's data. */
export type MessageHandlers = {
  [K in keyof ProtocolMap]: (data: Parameters<ProtocolMap[K]>[0]) => Promise<ReturnType<ProtocolMap[K]>>;
};

export function createBackground(deps: BackgroundDeps) {
  const { storage } = deps;
  const lock = new StorageLock();
  const recent = new RecentRecords();
  const connection = new BackendConnection(storage, deps.createClient);
  const model = new LocalModel(deps.scorer, storage);
  // Labels that finished a batch make the backend update the model, and a flush may learn of a model
  // version this device does not have: either way sync pulls it (a sync in flight is not started twice).
  const onSubmitted = (result: SubmitResult): void => {
    const newModel = result.modelVersion !== null && result.modelVersion !== model.scorer.status().modelVersion;
    if (result.completedBatchIds.length > 0 || newModel) void sync.syncNow();
  };
  const labels = new LabelStore({ storage, lock, connection, recent, onSubmitted, flushDelayMs: deps.flushDelayMs });
  const sync = new Sync({ storage, lock, connection, model, labels });
  const scoring = new PageScoring({ storage, model, connection, recent });
  const batches = new PopupBatches({ storage, lock, connection, labels });
  const pairing = new DevicePairing({ storage, lock, connection, model, sync, defaultDeviceName: deps.defaultDeviceName ?? (() => 'Browser extension') });
  const policy = new PolicyChoice({ storage, lock, connection, model });
  const settings = new StatusAndSettings({ storage, model, sync });

  const handlers: MessageHandlers = {
    scoreRecords: async (data) => scoring.scoreRecords(data.records),
    explainRecord: async (data) => scoring.explainRecord(data),
    submitLabel: async (data) => labels.submitLabel(data),
    getFeatureToggles: async () => settings.getFeatureToggles(),
    setFeatureToggles: async (data) => settings.setFeatureToggles(data),
    getStatus: async () => settings.getStatus(),
    getBatch: async (data) => batches.getBatch(data?.fresh ?? false),
    undoLabel: async (data) => labels.undoLabel(data.clientId),
    pairDevice: async (data) => pairing.pairDevice(data),
    forgetDevice: async () => pairing.forgetDevice(),
    setBackendPreference: async (data) => settings.setBackendPreference(data.preference),
    syncNow: async () => sync.syncNow(),
    getPolicy: async () => policy.getPolicy(),
    setPolicy: async (data) => policy.setPolicy(data.policy),
  };

  return { storage, model, scoring, labels, sync, batches, pairing, policy, settings, handlers };
}

export type Background = ReturnType<typeof createBackground>;
