// The contract between the content-script runner and the overlay features (one feature per file).
import type { Reason } from '../../shared/schemas';
import type { PageRecord, RecordScore, ShownScore } from '../core/messaging';
import type { RecordTarget } from '../discogs';
import type { BadgeRegistry, KeepersBadge } from './badge';

/** What features may ask of the background (sendMessage in the extension, a fake in unit tests). */
export interface KeepersApi {
  scoreRecords(records: PageRecord[], pageUrl: string): Promise<{ items: RecordScore[] }>;
  /** `score` is what the badge shows, so the reasons quote the same numbers. */
  explainRecord(record: PageRecord, score?: ShownScore): Promise<{ reasons: Reason[] }>;
  submitLabel(releaseId: number, keeper: boolean, record?: PageRecord): Promise<{ queued: number }>;
  getFeatureToggles(): Promise<Record<string, boolean>>;
}

export interface FeatureContext {
  doc: Document;
  /** Aborted when the content script is invalidated: features drop their listeners and nodes. */
  signal: AbortSignal;
  api: KeepersApi;
  badges: BadgeRegistry;
  /** Reports a failure without letting it reach the page. */
  report(featureId: string, error: unknown): void;
  /** Whether an event came from the user (`event.isTrusted`), not from a script on the page. */
  isTrustedEvent(event: Event): boolean;
}

export interface ScoredTarget {
  target: RecordTarget;
  score: RecordScore;
}

/**
 * 'badge' features turn newly scored targets into badges; 'addon' features then decorate the badges
 * created in the same pass (a "Why shown?" button, label buttons).
 */
export type ContentFeature =
  | { id: string; stage: 'badge'; apply(targets: ScoredTarget[], ctx: FeatureContext): KeepersBadge[] }
  | { id: string; stage: 'addon'; apply(badges: KeepersBadge[], ctx: FeatureContext): void };

/**
 * An 'addon' feature that decorates each badge on its own: one badge that fails (a node the page
 * just replaced) is reported and the others are still decorated.
 */
export function perBadgeAddon(id: string, decorate: (badge: KeepersBadge, ctx: FeatureContext) => void): ContentFeature {
  return {
    id,
    stage: 'addon',
    apply(badges, ctx) {
      for (const badge of badges) {
        try {
          decorate(badge, ctx);
        } catch (error) {
          ctx.report(id, error);
        }
      }
    },
  };
}
