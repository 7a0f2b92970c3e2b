// The badge element shared by the badge features: a light-DOM host that draws itself inside a CLOSED
// shadow root, so neither the page's styles reach it nor its styles reach the page, and a script on
// the page cannot read what it shows. The host carries only a neutral marker and the release / master
// id it belongs to (the page shows those itself); the score, strategy and the collector's label live
// inside the closed root and in this object, which belongs to the content script's isolated world.
import { formatProbability, formatProbabilityInterval, STRATEGY_TEXT } from '../../shared/format';
import type { PageRecord, RecordScore } from '../core/messaging';
import { recordKey, type RecordKey } from '../core/recordKey';
import { KEEPERS_ATTRIBUTE } from '../discogs';

export type BadgeVariant = 'row' | 'header';

const BADGE_CSS = `
:host { all: initial; display: inline-block; position: relative; vertical-align: middle; margin: 0 0 0 6px; }
.badge { display: inline-flex; align-items: center; gap: 6px; flex-wrap: wrap; font: 12px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif;
  color: #1d1d1f; border-radius: 10px; padding: 1px 8px; border: 1px solid transparent; }
.badge[data-variant="header"] { font-size: 14px; padding: 3px 10px; }
.badge[data-strategy="exploit"] { background: #e3f6e8; border-color: #2e8b57; color: #14532d; }
.badge[data-strategy="explore"] { background: #eef2ff; border-color: #6366f1; color: #312e81; }
.badge[data-strategy="none"] { background: transparent; color: #6b7280; padding: 0 4px; }
/* Nothing learned yet: one neutral look for every record (no pick is better than another). */
.badge[data-learned="false"][data-strategy="explore"] { background: #f3f4f6; border-color: #9ca3af; color: #374151; }
.badge[data-learned="false"] .text { font-weight: 500; }
.dot { width: 7px; height: 7px; border-radius: 50%; background: currentColor; opacity: 0.7; flex: none; }
.text { font-weight: 600; }
.prob { font-variant-numeric: tabular-nums; }
.prob:empty, .text:empty { display: none; }
.label-state { font-weight: 600; }
.label-state:empty { display: none; }
.actions { display: inline-flex; gap: 4px; }
.actions:empty { display: none; }
/* Records the schedule did not pick stay quiet: their controls appear on hover or keyboard focus. */
.badge[data-strategy="none"] .actions { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
:host(:hover) .badge[data-strategy="none"] .actions, .badge[data-strategy="none"]:focus-within .actions {
  position: static; width: auto; height: auto; overflow: visible; clip-path: none; }
button { font: inherit; font-size: 11px; line-height: 1.3; color: inherit; background: #fff; border: 1px solid #9ca3af; border-radius: 6px;
  padding: 0 6px; cursor: pointer; }
button:hover { background: #f3f4f6; }
button:focus-visible { outline: 2px solid #2563eb; outline-offset: 1px; }
button[aria-pressed="true"] { background: #1f2937; color: #fff; border-color: #1f2937; }
.popover { position: absolute; z-index: 2147483000; top: calc(100% + 4px); left: 0; min-width: 240px; max-width: 360px; background: #fff;
  color: #111827; border: 1px solid #d1d5db; border-radius: 8px; box-shadow: 0 6px 24px rgba(0,0,0,0.18); padding: 8px 10px;
  font: 12px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; text-align: left; white-space: normal; }
.popover[hidden] { display: none; }
.popover h2 { font-size: 12px; margin: 0 0 4px; }
.popover ul { margin: 0; padding-left: 16px; }
.popover .status { color: #6b7280; margin: 0; }
`;

/**
 * What a badge says while the model has learned from no label: no strategy words and no numbers (an
 * untrained model's are noise), just that, and how to teach it.
 */
export function unlearnedText(score: Pick<RecordScore, 'pendingLabels'>, canLabel: boolean): string {
  const n = score.pendingLabels ?? 0;
  const state = n > 0 ? `Nothing learned yet (${n} ${n === 1 ? 'label' : 'labels'} so far)` : 'No labels yet';
  return `${state} — ${canLabel ? 'label this' : 'label a version'} to teach Keepers`;
}

/** "82% ± 5": keep-probability and its uncertainty in percentage points (shared/format.ts). */
export function probabilityText(score: Pick<RecordScore, 'mean' | 'uncertainty'>): string {
  return formatProbabilityInterval(score.mean, score.uncertainty);
}

export function badgeDescription(score: RecordScore, canLabel = true): string {
  if (!score.learned) {
    return `Discogs Keepers: ${unlearnedText(score, canLabel)}. The model has learned from no label yet, so it shows no keep-probability`;
  }
  const lead = score.strategy === 'none' ? 'Discogs Keepers' : `Discogs Keepers: ${STRATEGY_TEXT[score.strategy]}`;
  return `${lead}, keep-probability ${probabilityText(score)} percentage points`;
}

/**
 * Host element -> its badge, kept in this module (the content script's isolated world): the only way
 * from a host to its closed shadow root and its score. Features go through the registry; unit tests
 * use `badgeOfHost`. A script on the page sees `host.shadowRoot === null` and no score attributes.
 */
const badgesByHost = new WeakMap<Element, KeepersBadge>();

/** The badge drawn in `host` (for tests and the extension's own code; unreachable from the page). */
export function badgeOfHost(host: Element): KeepersBadge | undefined {
  return badgesByHost.get(host);
}

export class KeepersBadge {
  readonly host: HTMLElement;
  /** Closed: `host.shadowRoot` is null for everyone else; only this reference reaches it. */
  readonly root: ShadowRoot;
  /** Where add-on features put their controls (inside the shadow root). */
  readonly actions: HTMLElement;
  readonly record: PageRecord;
  /** 'r:<release id>', or 'm:<master id>' for a master-only row. */
  readonly key: RecordKey;
  readonly variant: BadgeVariant;
  private readonly box: HTMLElement;
  private readonly text: HTMLElement;
  private readonly prob: HTMLElement;
  private readonly labelState: HTMLElement;
  private current: RecordScore;
  private label: boolean | null = null;
  private hint: string | null = null;

  constructor(doc: Document, record: PageRecord, score: RecordScore, variant: BadgeVariant) {
    this.record = record;
    this.key = recordKey(record);
    this.variant = variant;
    this.current = score;
    this.host = doc.createElement('span');
    this.host.setAttribute(KEEPERS_ATTRIBUTE, '');
    this.host.setAttribute('data-keepers-badge', '');
    this.host.setAttribute('data-variant', variant);
    this.root = this.host.attachShadow({ mode: 'closed' });
    badgesByHost.set(this.host, this);
    const style = doc.createElement('style');
    style.textContent = BADGE_CSS;
    this.box = doc.createElement('span');
    this.box.className = 'badge';
    this.box.setAttribute('role', 'group');
    this.box.setAttribute('data-variant', variant);
    const dot = doc.createElement('span');
    dot.className = 'dot';
    dot.setAttribute('aria-hidden', 'true');
    this.text = doc.createElement('span');
    this.text.className = 'text';
    this.prob = doc.createElement('span');
    this.prob.className = 'prob';
    this.labelState = doc.createElement('span');
    this.labelState.className = 'label-state';
    this.labelState.setAttribute('role', 'status');
    this.actions = doc.createElement('span');
    this.actions.className = 'actions';
    this.box.append(dot, this.text, this.prob, this.labelState, this.actions);
    this.root.append(style, this.box);
    this.update(score);
  }

  /** null on a master-only row: such a badge cannot be labelled (a label is for one release). */
  get releaseId(): number | null {
    return this.record.releaseId;
  }

  get masterId(): number | null {
    return this.record.masterId ?? null;
  }

  get score(): RecordScore {
    return this.current;
  }

  get keeperLabel(): boolean | null {
    return this.label;
  }

  update(score: RecordScore): void {
    this.current = score;
    // A master-only row has no release: the attribute stays, empty, and data-master-id names the master.
    this.host.setAttribute('data-release-id', this.releaseId === null ? '' : String(this.releaseId));
    if (this.masterId !== null) this.host.setAttribute('data-master-id', String(this.masterId));
    else this.host.removeAttribute('data-master-id');
    // The score stays inside the closed root (the styles key on strategy and learned; tests read all four).
    this.box.setAttribute('data-strategy', score.strategy);
    this.box.setAttribute('data-learned', String(score.learned));
    this.box.setAttribute('data-mean', score.mean.toFixed(4));
    this.box.setAttribute('data-uncertainty', score.uncertainty.toFixed(4));
    const canLabel = this.releaseId !== null;
    const description = this.hint ? `${badgeDescription(score, canLabel)}. ${this.hint}` : badgeDescription(score, canLabel);
    this.box.setAttribute('aria-label', description);
    this.box.title = description;
    if (!score.learned) {
      // No strategy words, no probability, no ±: the model has nothing to be confident or unsure about.
      this.text.textContent = score.strategy === 'none' ? '' : unlearnedText(score, canLabel);
      this.prob.textContent = '';
    } else {
      this.text.textContent = score.strategy === 'none' ? '' : STRATEGY_TEXT[score.strategy];
      this.prob.textContent = score.strategy === 'none' ? formatProbability(score.mean) : probabilityText(score);
    }
    // A label made earlier (on this page before a reload, in the popup, on another device) shows at once.
    if (score.label !== undefined) this.setLabel(score.label);
  }

  /** A sentence added to the badge's title and accessible name (what a feature left out, and why). */
  setHint(hint: string | null): void {
    this.hint = hint;
    this.update(this.current);
  }

  /** Shows the collector's own label at once (before the background has synced it). */
  setLabel(keeper: boolean | null): void {
    this.label = keeper;
    if (keeper === null) this.box.removeAttribute('data-keepers-label');
    else this.box.setAttribute('data-keepers-label', keeper ? 'keeper' : 'not-keeper');
    this.labelState.textContent = keeper === null ? '' : keeper ? '✓ Keeper' : '✗ Not a keeper';
  }

  mount(placement: { element: Element; position: 'afterend' | 'beforeend' }): void {
    placement.element.insertAdjacentElement(placement.position, this.host);
  }

  remove(): void {
    this.host.remove();
  }
}

/** Every badge on the page, by record (labels update all badges of a release) and by owning row. */
export class BadgeRegistry {
  private readonly byKey = new Map<RecordKey, Set<KeepersBadge>>();
  private readonly owners = new Map<KeepersBadge, Element>();
  private readonly hosts = new Set<Node>();

  add(badge: KeepersBadge, owner: Element): void {
    let set = this.byKey.get(badge.key);
    if (!set) this.byKey.set(badge.key, (set = new Set()));
    set.add(badge);
    this.owners.set(badge, owner);
    this.hosts.add(badge.host);
  }

  forKey(key: RecordKey): KeepersBadge[] {
    return Array.from(this.byKey.get(key) ?? []);
  }

  ownedBy(owner: Element): KeepersBadge[] {
    return Array.from(this.owners).filter(([, o]) => o === owner).map(([b]) => b);
  }

  ownerOf(badge: KeepersBadge): Element | undefined {
    return this.owners.get(badge);
  }

  all(): KeepersBadge[] {
    return Array.from(this.owners.keys());
  }

  delete(badge: KeepersBadge): void {
    badge.remove();
    this.owners.delete(badge);
    this.hosts.delete(badge.host);
    this.byKey.get(badge.key)?.delete(badge);
  }

  hasHost(node: Node): boolean {
    return this.hosts.has(node);
  }

  /** Forgets badges no longer in the page (row filtered, paged or navigated away, or badge removed by the page). */
  prune(): Array<{ badge: KeepersBadge; owner: Element }> {
    const pruned: Array<{ badge: KeepersBadge; owner: Element }> = [];
    for (const [badge, owner] of Array.from(this.owners)) {
      if (!badge.host.isConnected) {
        this.delete(badge);
        pruned.push({ badge, owner });
      }
    }
    return pruned;
  }

  clear(): void {
    for (const badge of this.all()) this.delete(badge);
  }
}
