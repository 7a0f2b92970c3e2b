// Typed messages between the content script, popup, options page, offscreen document and the
// background service worker. The background is the only component that talks to the backend.
import { defineExtensionMessaging } from '@webext-core/messaging';
import type { Reason, Release, SelectionItem, ShownStrategy } from '../../shared/schemas';

/**
 * A record as the content script found it on a Discogs page (partial metadata). Most rows are one
 * release; a master-only row (artist and label discographies are mostly masters) has no release id,
 * only its master id, and is scored from what the row shows but cannot be labelled.
 */
export interface PageRecord {
  /** The release the row stands for; null for a master-only row (then masterId is set). */
  releaseId: number | null;
  masterId?: number | null;
  /** Whatever the page showed: title, artists, labels, year, genres, styles, formats, have/want. */
  release: Partial<Release>;
}

export type { RecordKey } from './recordKey';

export interface RecordScore {
  /** null for a master-only record (then masterId says which). */
  releaseId: number | null;
  masterId?: number | null;
  /** The badge's pick: exploit, explore, or 'none' for a record not picked. */
  strategy: ShownStrategy;
  mean: number;
  uncertainty: number;
  aleatoric: number;
  /** This device's label for the record, when it has one (labelled records are no longer picked: 'none'). */
  label?: boolean;
  /**
   * Whether the model that scored it has learned from any label (or import). While it has not, the
   * numbers are an untrained model's and mean nothing: the badge shows none of them and claims nothing.
   */
  learned: boolean;
  /** Labels this device holds that the model has not learned from (only while `learned` is false). */
  pendingLabels?: number;
}

/**
 * The numbers a badge shows, sent with "Why shown?" so the reasons state the same ones; `learned`
 * false for a badge drawn before the model had learned anything.
 */
export type ShownScore = Pick<RecordScore, 'strategy' | 'mean' | 'uncertainty' | 'aleatoric'> & { learned?: boolean };

/**
 * What the scoring model knows, from its artifacts: an untrained model or a version fitted on no
 * label has learned nothing.
 */
export interface ModelKnowledge {
  learned: boolean;
  /** Labels (and imported keepers) the model was fitted on; null when it learned from some but the count is not recorded. */
  labels: number | null;
  /** 'posterior': the Bayesian head (neural-ts) gives mean and uncertainty; 'mc-dropout': the dropout head (seed policy, untrained model). */
  head: 'posterior' | 'mc-dropout';
}

export interface ProtocolMap {
  /** Score all records of one page in a single batch; strategies come from selectBatch on them. */
  scoreRecords(data: { records: PageRecord[]; pageUrl: string }): { items: RecordScore[]; backend: string; modelVersion: string | null };
  /**
   * Reasons computed from the model for one record ("Why shown?"). `score` is what the badge shows:
   * the reasons state those numbers rather than a new prediction (the background also remembers the
   * last page scores). A master-only record is named by `record` (releaseId null, masterId set).
   */
  explainRecord(data: { releaseId: number | null; record?: PageRecord; score?: ShownScore }): { reasons: Reason[] };
  /** A keeper / not-keeper label from the page or the popup; queued, applied at once, synced later. */
  submitLabel(data: { releaseId: number; keeper: boolean; batchId?: number | null; record?: PageRecord }): { queued: number; clientId?: string };
  /** Which overlay features are on (options page toggles). */
  getFeatureToggles(): Record<string, boolean>;

  // --- popup, options and tests (additive) ---
  /** Scorer, model, sync and schedule state for the popup and options page. */
  getStatus(): ExtensionStatus;
  /** The current batch of 20 from the backend's bandit.selectBatch (a new one once this one is labelled). */
  getBatch(data?: { fresh?: boolean }): PopupBatch;
  /** Takes back a label that has not been synced yet (popup undo). */
  undoLabel(data: { clientId: string }): { removed: boolean; queued: number };
  /** Exchanges a one-time code from `keepers pair` for a device token (devices.pair). */
  pairDevice(data: { backendUrl: string; pairingCode: string; deviceName?: string }): { deviceId: number };
  /** Drops the token, cached weights and sync cursor; unsent labels stay queued. */
  forgetDevice(): { ok: true };
  setFeatureToggles(data: Record<string, boolean>): Record<string, boolean>;
  /** Chooses the tfjs backend: 'auto' follows the rule in core/tfBackend (software WebGL → WASM). */
  setBackendPreference(data: { preference: BackendPreference }): ScorerStatus;
  /** Flushes the label queue and pulls labels and weights now. */
  syncNow(): SyncState;
  /** The learner policy the backend runs, its default and the choices (bandit.policy); paired only. */
  getPolicy(): PolicySetting;
  /** Chooses the learner policy for later batches (bandit.setPolicy); paired only. */
  setPolicy(data: { policy: string }): { policy: string };
}

export interface PolicySetting {
  /** The policy in use: the collector's choice, else the default. */
  policy: string;
  defaultPolicy: string;
  available: { name: string; description: string }[];
}

export type TfBackendName = 'webgl' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | TfBackendName;

export interface ScorerStatus {
  /** The tfjs backend that is really active (tf.getBackend()), null before the first use. */
  backend: TfBackendName | null;
  preference: BackendPreference;
  /** Why this backend: forced, software WebGL renderer, hardware GPU, fallback after a failure. */
  reason: string;
  /** WebGL renderer string (WEBGL_debug_renderer_info) or null when WebGL is unavailable. */
  renderer: string | null;
  modelVersion: string | null;
  /** 'untrained' = seeded model before pairing; 'backend' = weights from models.weights (cached in IndexedDB). */
  modelSource: 'untrained' | 'backend';
  /** What the active model has learned (nothing for the untrained model). */
  knowledge: ModelKnowledge;
}

/** How SyncState.lastError says that labels were refused (not a failed sync: the other labels were sent). */
export const REFUSED_MARK = 'refused by the backend';

export interface SyncState {
  paired: boolean;
  backendUrl: string;
  deviceId: number | null;
  /** Labels waiting to be sent. */
  queued: number;
  lastSyncAt: string | null;
  lastError: string | null;
  /** Latest model version the backend announced (models.latest). */
  remoteModelVersion: string | null;
}

export interface ExtensionStatus {
  scorer: ScorerStatus;
  sync: SyncState;
  /** Batch counter used for the schedule (from the backend once paired, else 0). */
  batchNumber: number;
  /** The explore share of the last batch the backend picked; null before the first batch. */
  exploreRate: number | null;
  labelled: number;
}

/** One pick of the popup's batch: the backend's selected item, its record and its "Why shown?" reasons. */
export interface PopupBatchItem extends Pick<SelectionItem, 'releaseId' | 'strategy' | 'mean' | 'uncertainty' | 'score'> {
  release: Release | null;
  /** Why the backend picked it (absent in a batch stored by an earlier version). */
  reasons?: Reason[];
  /** This device's label for it in this batch, with the clientId that undo needs. */
  label: { keeper: boolean; clientId: string } | null;
}

/** The popup's batch as bandit.selectBatch answered it, with this device's labels so far. */
export interface PopupBatch {
  batchId: number;
  batchNumber: number;
  exploreRate: number;
  /** The backend's model version that picked the batch. */
  modelVersion: string | null;
  items: PopupBatchItem[];
}

export const { sendMessage, onMessage } = defineExtensionMessaging<ProtocolMap>();
