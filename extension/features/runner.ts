// Runs the overlay features on a Discogs page: extract -> score new records in one batch -> badge.
// Re-runs (debounced) when rows are added, paged or filtered and when the page navigates in place.
import type { PageRecord, RecordScore } from '../core/messaging';
import { recordKey, type RecordKey } from '../core/recordKey';
import { extractPage, KEEPERS_ATTRIBUTE, type RecordTarget } from '../discogs';
import { BadgeRegistry, type KeepersBadge } from './badge';
import { labelButtons } from './label-buttons';
import { recordBadges } from './record-badges';
import { FEATURE_REGISTRY, type FeatureId } from './registry';
import { releaseHeaderBadge } from './release-header-badge';
import type { ContentFeature, FeatureContext, KeepersApi, ScoredTarget } from './types';
import { whyShown } from './why-shown';

/** Each registered feature's implementation (the type requires one for every id of features/registry.ts). */
const IMPLEMENTATIONS: Record<FeatureId, ContentFeature> = {
  'record-badges': recordBadges,
  'release-header-badge': releaseHeaderBadge,
  'why-shown': whyShown,
  'label-buttons': labelButtons,
};

/** The features in the registry's order (badge features first: add-ons decorate the badges they create). */
export const ALL_FEATURES: readonly ContentFeature[] = FEATURE_REGISTRY.map((f) => IMPLEMENTATIONS[f.id]);

export interface RunnerOptions {
  doc: Document;
  api: KeepersApi;
  signal: AbortSignal;
  features?: readonly ContentFeature[];
  /** Quiet time after the last DOM change before re-extracting (React renders in bursts). */
  debounceMs?: number;
  /** Longest a pass waits while the page keeps changing (endless scrolling, animations). */
  maxWaitMs?: number;
  /** How often the URL is compared, to notice the page's own history.pushState navigation. */
  navigationPollMs?: number;
  report?: (featureId: string, error: unknown) => void;
  /**
   * Whether a click came from the user (default: `event.isTrusted`). A script on the page can call
   * `button.click()` or dispatch events, which are never trusted: those must not label anything.
   * Unit tests in jsdom (which cannot make trusted events) replace it.
   */
  isTrustedEvent?: (event: Event) => boolean;
}

function isOurNode(node: Node): boolean {
  return node.nodeType === 1 && (node as Element).closest(`[${KEEPERS_ATTRIBUTE}]`) !== null;
}

/**
 * True when a mutation is only the extension adding or removing its own badges. A badge the page
 * removed (React re-rendering a row) is still registered: that removal is the page's, and counts.
 */
function isOwnMutation(m: MutationRecord, registered: (node: Node) => boolean): boolean {
  if (m.type === 'attributes') return isOurNode(m.target);
  const nodes = [...Array.from(m.addedNodes), ...Array.from(m.removedNodes)];
  if (Array.from(m.removedNodes).some(registered)) return false;
  return nodes.length > 0 && nodes.every(isOurNode);
}

export class KeepersRunner {
  readonly badges = new BadgeRegistry();
  private readonly doc: Document;
  private readonly api: KeepersApi;
  private readonly signal: AbortSignal;
  private readonly features: readonly ContentFeature[];
  private readonly debounceMs: number;
  private readonly maxWaitMs: number;
  private pendingSince = 0;
  private readonly report: (featureId: string, error: unknown) => void;
  private readonly isTrustedEvent: (event: Event) => boolean;
  /** Records (keys) already handled per row / heading element: rows are never badged twice. */
  private processed = new WeakMap<Element, Set<RecordKey>>();
  /** Scores of the current URL: later rows are scored in a new batch, earlier ones are not re-sent. */
  private readonly scores = new Map<RecordKey, RecordScore>();
  private url: string;
  private toggles: Record<string, boolean> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> | null = null;
  private dirty = false;
  private idleWaiters: Array<() => void> = [];

  constructor(options: RunnerOptions) {
    this.doc = options.doc;
    this.api = options.api;
    this.signal = options.signal;
    this.features = options.features ?? ALL_FEATURES;
    this.debounceMs = options.debounceMs ?? 250;
    this.maxWaitMs = options.maxWaitMs ?? 1000;
    this.report = options.report ?? ((featureId, error) => console.debug(`[keepers] ${featureId} failed`, error));
    this.isTrustedEvent = options.isTrustedEvent ?? ((event) => event.isTrusted);
    this.url = this.location();

    const win = this.doc.defaultView;
    if (win) {
      const observer = new win.MutationObserver((mutations) => {
        if (mutations.every((m) => isOwnMutation(m, (node) => this.badges.hasHost(node)))) return;
        this.schedule();
      });
      observer.observe(this.doc.documentElement, { childList: true, subtree: true, attributes: true, attributeFilter: ['href', 'hidden'] });
      const checkUrl = (): void => {
        if (this.location() !== this.url) this.schedule(0);
      };
      const poll = win.setInterval(checkUrl, options.navigationPollMs ?? 500);
      win.addEventListener('popstate', checkUrl, { signal: this.signal });
      this.signal.addEventListener('abort', () => {
        observer.disconnect();
        win.clearInterval(poll);
        if (this.timer !== null) clearTimeout(this.timer);
        this.badges.clear();
        this.resolveIdle();
      });
    }
  }

  private location(): string {
    return this.doc.defaultView?.location.href ?? this.doc.URL;
  }

  /** Extract and badge now (debounced when called again while a pass runs). */
  schedule(delay = this.debounceMs): void {
    if (this.signal.aborted) return;
    const now = Date.now();
    if (this.timer !== null) {
      // Waited long enough: let the pending pass run instead of postponing it again.
      if (now - this.pendingSince >= this.maxWaitMs) return;
      clearTimeout(this.timer);
    } else {
      this.pendingSince = now;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, delay);
  }

  /** Resolves once no pass is pending or running (for tests and the e2e suite's waits). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.signal.aborted || (this.timer === null && this.running === null);
  }

  private resolveIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async run(): Promise<void> {
    if (this.running) {
      this.dirty = true;
      return this.running;
    }
    this.running = this.pass()
      .catch((error: unknown) => this.report('runner', error))
      .finally(() => {
        this.running = null;
        if (this.dirty) {
          this.dirty = false;
          this.schedule();
        }
        this.resolveIdle();
      });
    return this.running;
  }

  private async enabledFeatures(): Promise<ContentFeature[]> {
    if (this.toggles === null) {
      try {
        this.toggles = await this.api.getFeatureToggles();
      } catch (error) {
        this.report('toggles', error);
        this.toggles = {};
      }
    }
    const toggles = this.toggles;
    // A feature the options page does not know yet is on.
    return this.features.filter((f) => toggles[f.id] !== false);
  }

  private async pass(): Promise<void> {
    if (this.signal.aborted) return;
    const url = this.location();
    if (url !== this.url) {
      this.url = url;
      this.scores.clear();
    }
    const features = await this.enabledFeatures();
    // Badges the page removed from rows that are still there come back (from the cached score).
    for (const { badge, owner } of this.badges.prune()) {
      this.processed.get(owner)?.delete(badge.key);
      // A label made on this page outlives the badge React removed: the badge that comes back shows it.
      const cached = this.scores.get(badge.key);
      if (cached && badge.keeperLabel !== null) this.scores.set(badge.key, { ...cached, label: badge.keeperLabel });
    }
    const extraction = extractPage(this.doc, url, { isKnown: (el, key) => this.processed.get(el)?.has(key) === true });
    const targets: RecordTarget[] = extraction.header ? [extraction.header, ...extraction.rows] : extraction.rows;

    // A row React re-used for another record (or a heading after in-page navigation) drops its old badge.
    const current = new Map<Element, Set<RecordKey>>();
    for (const t of targets) {
      const keys = current.get(t.element) ?? new Set<RecordKey>();
      keys.add(t.key);
      current.set(t.element, keys);
    }
    for (const badge of this.badges.all()) {
      const owner = this.badges.ownerOf(badge);
      if (owner && !current.get(owner)?.has(badge.key)) {
        this.badges.delete(badge);
        this.processed.get(owner)?.delete(badge.key);
      }
    }

    const fresh = targets.filter((t) => !this.processed.get(t.element)?.has(t.key));
    if (fresh.length === 0) return;

    const unscored = new Map<RecordKey, PageRecord>();
    for (const t of fresh) {
      if (!this.scores.has(t.key) && !unscored.has(t.key)) unscored.set(t.key, t.record);
    }
    if (unscored.size > 0) {
      let items: RecordScore[];
      try {
        ({ items } = await this.api.scoreRecords(Array.from(unscored.values()), url));
      } catch (error) {
        // No background (not installed, not paired, reloading): render nothing; a later change retries.
        this.report('scoreRecords', error);
        return;
      }
      if (this.signal.aborted || this.location() !== url) return;
      for (const item of items) this.scores.set(recordKey(item), item);
    }

    const scored: ScoredTarget[] = [];
    for (const t of fresh) {
      if (!t.element.isConnected || !t.placement.element.isConnected) continue;
      const keys = this.processed.get(t.element) ?? new Set<RecordKey>();
      keys.add(t.key);
      this.processed.set(t.element, keys);
      const score = this.scores.get(t.key);
      if (score) scored.push({ target: t, score });
    }
    this.applyFeatures(features, scored);
  }

  private applyFeatures(features: ContentFeature[], scored: ScoredTarget[]): void {
    const ctx: FeatureContext = { doc: this.doc, signal: this.signal, api: this.api, badges: this.badges, report: this.report, isTrustedEvent: this.isTrustedEvent };
    const created: KeepersBadge[] = [];
    // Each feature is isolated: one that throws leaves the page and the other features working.
    for (const feature of features) {
      try {
        if (feature.stage === 'badge') created.push(...feature.apply(scored, ctx));
      } catch (error) {
        this.report(feature.id, error);
      }
    }
    for (const feature of features) {
      try {
        if (feature.stage === 'addon') feature.apply(created, ctx);
      } catch (error) {
        this.report(feature.id, error);
      }
    }
  }
}

/** Starts the runner and its first pass. */
export function startKeepers(options: RunnerOptions): KeepersRunner {
  const runner = new KeepersRunner(options);
  runner.schedule(0);
  return runner;
}
