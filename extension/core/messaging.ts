// Typed messages between the content script, popup, options page, offscreen document and the
// background service worker. The background is the only component that talks to the backend.
import { defineExtensionMessaging } from '@webext-core/messaging';
import type { Release } from '../../shared/schemas';

/** A record as the content script found it on a Discogs page (partial metadata). */
export interface PageRecord {
  releaseId: number;
  masterId?: number | null;
  /** Whatever the page showed: title, artists, labels, year, genres, styles, formats, have/want. */
  release: Partial<Release> & { id: number };
}

export type BadgeStrategy = 'exploit' | 'explore' | 'none';

export interface RecordScore {
  releaseId: number;
  strategy: BadgeStrategy;
  mean: number;
  uncertainty: number;
  aleatoric: number;
}

export interface Reason {
  kind: 'similar-keepers' | 'feature' | 'uncertainty' | 'schedule';
  text: string;
  weight?: number;
  releaseIds?: number[];
}

export interface ProtocolMap {
  /** Score all records of one page in a single batch; strategies come from selectBatch on them. */
  scoreRecords(data: { records: PageRecord[]; pageUrl: string }): { items: RecordScore[]; backend: string; modelVersion: string | null };
  /** Reasons computed from the model for one record ("Why shown?"). */
  explainRecord(data: { releaseId: number; record?: PageRecord }): { reasons: Reason[] };
  /** A keeper / not-keeper label from the page or the popup; queued, applied at once, synced later. */
  submitLabel(data: { releaseId: number; keeper: boolean; batchId?: number | null; record?: PageRecord }): { queued: number };
  /** Which overlay features are on (options page toggles). */
  getFeatureToggles(): Record<string, boolean>;
}

export const { sendMessage, onMessage } = defineExtensionMessaging<ProtocolMap>();
