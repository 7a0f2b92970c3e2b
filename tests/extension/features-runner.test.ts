// The content side end to end in jsdom: extraction -> one scoreRecords batch -> badges and add-ons.
// The background is replaced by a recording KeepersApi (the real one is tested in Chromium by tests/e2e).
import { afterEach, describe, expect, it } from 'vitest';
import type { PageRecord, RecordScore, ShownScore } from '../../extension/core/messaging';
import type { Reason } from '../../shared/schemas';
import {
  ALL_FEATURES, badgeOfHost, recordBadges, startKeepers, type ContentFeature, type KeepersApi, type KeepersRunner,
} from '../../extension/features';
import { STRATEGY_TEXT } from '../../shared/format';
import { loadFixture, type FixtureName } from '../fixtures/discogs-pages/pages';

/** Stands in for the background: scores from a table or a rule, records every message. */
class RecordingApi implements KeepersApi {
  scoreBatches: PageRecord[][] = [];
  labels: Array<{ releaseId: number; keeper: boolean }> = [];
  explained: Array<number | null> = [];
  explainedRecords: Array<{ record: PageRecord; score?: ShownScore }> = [];
  failScoring = false;
  failLabels = false;
  toggles: Record<string, boolean> = {};
  reasons: Reason[] = [{ kind: 'similar-keepers', text: 'Like 2 records you kept: Coastal, Lantern', releaseIds: [1000051, 1000020] }];
  private pendingLabel: Array<() => void> = [];

  constructor(private readonly scoreOf: (id: number) => Omit<RecordScore, 'releaseId'>) {}

  async scoreRecords(records: PageRecord[]): Promise<{ items: RecordScore[] }> {
    this.scoreBatches.push(records);
    if (this.failScoring) throw new Error('Could not establish connection. Receiving end does not exist.');
    // Like the background: one score per record, master-only records (releaseId null) by their master id.
    return { items: records.map((r) => ({ releaseId: r.releaseId, masterId: r.masterId ?? null, ...this.scoreOf(r.releaseId ?? r.masterId!) })) };
  }

  async explainRecord(record: PageRecord, score?: ShownScore): Promise<{ reasons: Reason[] }> {
    this.explained.push(record.releaseId);
    this.explainedRecords.push({ record, score });
    return { reasons: this.reasons };
  }

  submitLabel(releaseId: number, keeper: boolean): Promise<{ queued: number }> {
    this.labels.push({ releaseId, keeper });
    return new Promise((resolve, reject) => {
      this.pendingLabel.push(() => (this.failLabels ? reject(new Error('queue full')) : resolve({ queued: this.labels.length })));
    });
  }

  /** Lets the background answer the label messages sent so far. */
  answerLabels(): void {
    for (const answer of this.pendingLabel.splice(0)) answer();
  }

  async getFeatureToggles(): Promise<Record<string, boolean>> {
    return this.toggles;
  }
}

/** Exploit when id % 4 is 1, explore when 0, none otherwise; mean/uncertainty from the id. */
function ruleScore(id: number): Omit<RecordScore, 'releaseId'> {
  const strategy = id % 4 === 1 ? 'exploit' : id % 4 === 0 ? 'explore' : 'none';
  return { strategy, mean: (id % 97) / 100, uncertainty: (id % 13) / 100, aleatoric: 0.05, learned: true };
}

/** As the background scores before the model has learned from any label: every unlabelled record explores, unlearned. */
function unlearnedScore(id: number): Omit<RecordScore, 'releaseId'> {
  return { ...ruleScore(id), strategy: 'explore', learned: false, pendingLabels: 0 };
}

const controllers: AbortController[] = [];
afterEach(() => {
  for (const c of controllers.splice(0)) c.abort();
});

async function settle(runner: KeepersRunner): Promise<void> {
  // Mutation observer callbacks and the debounce timer run before the pass they schedule.
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 15));
    await runner.idle();
  }
}

async function open(name: FixtureName, api: KeepersApi, features?: readonly ContentFeature[], trustedClicks = true) {
  const dom = loadFixture(name);
  const doc = dom.window.document;
  const reports: Array<[string, unknown]> = [];
  const controller = new dom.window.AbortController();
  controllers.push(controller);
  const runner = startKeepers({
    doc, api, signal: controller.signal, features, debounceMs: 5, navigationPollMs: 10,
    report: (id, error) => reports.push([id, error]),
    // jsdom cannot make trusted events: these tests click as the user would (see the isTrusted test).
    ...(trustedClicks ? { isTrustedEvent: () => true } : {}),
  });
  await settle(runner);
  return { dom, doc, runner, reports, controller };
}

function hosts(doc: Document): HTMLElement[] {
  return Array.from(doc.querySelectorAll<HTMLElement>('[data-keepers-badge]'));
}

/**
 * The badge's closed shadow root, through the content script's own hook (`badgeOfHost`, a WeakMap in
 * the feature module): a script on the page gets `host.shadowRoot === null` and cannot reach it.
 */
function rootOf(host: Element | null | undefined): ShadowRoot {
  const badge = host ? badgeOfHost(host) : undefined;
  if (!badge) throw new Error('not a Keepers badge host');
  return badge.root;
}

/** The host's neutral attributes (release / master id, variant) and what the badge keeps inside its closed root (score, label). */
function data(host: Element | null | undefined): Record<string, string | undefined> {
  const box = rootOf(host).querySelector<HTMLElement>('.badge')!;
  return { ...(host as HTMLElement).dataset, ...box.dataset };
}

function shadowText(host: Element): string {
  return (rootOf(host).querySelector('.badge')?.textContent ?? '').replace(/\s+/g, ' ').trim();
}

function badgeParts(host: Element): { text: string; prob: string } {
  const root = rootOf(host);
  return { text: root?.querySelector('.text')?.textContent ?? '', prob: root?.querySelector('.prob')?.textContent ?? '' };
}

describe('record badges', () => {
  it('badges every listing row from ONE scoreRecords call, with the score kept inside the closed shadow root', async () => {
    const api = new RecordingApi(ruleScore);
    const { doc } = await open('marketplace-list.html', api);
    expect(api.scoreBatches).toHaveLength(1);
    expect(api.scoreBatches[0]?.map((r) => r.releaseId)).toEqual([1000001, 1000051, 1000060, 1000020]);

    const badges = hosts(doc);
    expect(new Set(badges.map((b) => data(b).strategy))).toEqual(new Set(['exploit', 'explore', 'none']));
    expect(badges.map((b) => Number(data(b).releaseId))).toEqual([1000001, 1000051, 1000060, 1000020]);
    for (const badge of badges) {
      const expected = ruleScore(Number(data(badge).releaseId));
      expect(badge.tagName).toBe('SPAN');
      expect(data(badge).strategy).toBe(expected.strategy);
      expect(Number(data(badge).mean)).toBeCloseTo(expected.mean, 4);
      expect(Number(data(badge).uncertainty)).toBeCloseTo(expected.uncertainty, 4);
      // Closed: a script on the page gets null; only the content script's own hook reaches the root.
      expect(badge.shadowRoot).toBeNull();
      expect(rootOf(badge).mode).toBe('closed');
      // Each badge sits in its own listing row, after the title.
      expect(badge.closest('tr.shortcut_navigable')?.querySelector('a.item_release_link, [data-release-id]')).not.toBeNull();
      expect(badge.previousElementSibling?.tagName).toBe('STRONG');
    }
  });

  it('shows "High-confidence keeper" / "Learning from this" with probability and uncertainty; nothing loud for none', async () => {
    const api = new RecordingApi(ruleScore);
    const { doc } = await open('marketplace-list.html', api);
    const [exploit, explore, none] = [1000001, 1000060, 1000051].map((id) => doc.querySelector(`[data-keepers-badge][data-release-id="${id}"]`));
    const expectedProb = (id: number) => `${Math.round(ruleScore(id).mean * 100)}% ± ${Math.round(ruleScore(id).uncertainty * 100)}`;
    expect(badgeParts(exploit!)).toEqual({ text: STRATEGY_TEXT.exploit, prob: expectedProb(1000001) });
    expect(badgeParts(explore!)).toEqual({ text: STRATEGY_TEXT.explore, prob: expectedProb(1000060) });
    // 'none': no strategy words, just the probability beside a dot.
    expect(badgeParts(none!)).toEqual({ text: '', prob: `${Math.round(ruleScore(1000051).mean * 100)}%` });
    expect(rootOf(none).querySelector('.dot')).not.toBeNull();
    expect(rootOf(none).querySelector('.badge')?.getAttribute('aria-label')).toMatch(/keep-probability \d+% ± \d+/);
  });

  it('adds badges only to rows added later (lazy loading, paging), in a second batch with only the new records', async () => {
    const api = new RecordingApi(ruleScore);
    const { doc, runner } = await open('marketplace-list.html', api);
    const tbody = doc.querySelector('table.mpitems tbody')!;
    const template = tbody.querySelector('tr')!;
    const added = template.cloneNode(true) as HTMLTableRowElement;
    // The clone carries the template row's badge: a row arriving from Discogs never has one.
    added.querySelectorAll('[data-keepers-badge]').forEach((b) => b.remove());
    added.querySelector('a.item_release_link')!.setAttribute('href', '/de/Tern-Estuary/release/1000070');
    tbody.append(added);
    await settle(runner);

    expect(api.scoreBatches.map((b) => b.map((r) => r.releaseId))).toEqual([[1000001, 1000051, 1000060, 1000020], [1000070]]);
    const rows = Array.from(doc.querySelectorAll('table.mpitems tbody tr'));
    expect(rows.map((r) => r.querySelectorAll('[data-keepers-badge]').length)).toEqual([1, 1, 1, 1, 1]);
    expect(added.querySelector('[data-keepers-badge]')?.getAttribute('data-release-id')).toBe('1000070');

    // Unrelated DOM churn re-runs extraction but sends nothing and badges nothing twice.
    doc.body.append(doc.createElement('div'));
    await settle(runner);
    expect(api.scoreBatches).toHaveLength(2);
    expect(hosts(doc)).toHaveLength(5);
  });

  it('puts back a badge the page removed (React re-render) from the cached score, without a new message', async () => {
    const api = new RecordingApi(ruleScore);
    const { doc, runner } = await open('label.html', api);
    const row = doc.querySelector('[data-keepers-badge][data-release-id="1000020"]')!.closest('tr')!;
    row.querySelector('[data-keepers-badge]')!.remove();
    expect(row.querySelector('[data-keepers-badge]')).toBeNull();
    await settle(runner);
    expect(row.querySelectorAll('[data-keepers-badge][data-release-id="1000020"]')).toHaveLength(1);
    expect(api.scoreBatches).toHaveLength(1);
    expect(hosts(doc)).toHaveLength(3); // two releases and the master-only row
  });

  it('badges rows while the page keeps changing (the debounce has a maximum wait)', async () => {
    const api = new RecordingApi(ruleScore);
    const dom = loadFixture('wantlist.html');
    const doc = dom.window.document;
    const controller = new dom.window.AbortController();
    controllers.push(controller);
    // The first pass finds no background, so only a re-run during the changes can badge.
    api.failScoring = true;
    const runner = startKeepers({ doc, api, signal: controller.signal, debounceMs: 100, maxWaitMs: 150, report: () => {} });
    await runner.idle();
    expect(api.scoreBatches).toHaveLength(1);
    api.failScoring = false;
    const ticker = doc.createElement('p');
    doc.body.append(ticker);
    // A change every 5 ms for 600 ms: a plain debounce would never fire during it.
    for (let i = 0; i < 120 && hosts(doc).length === 0; i++) {
      ticker.textContent = String(i);
      ticker.append(doc.createElement('span'));
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(hosts(doc)).toHaveLength(2);
    await runner.idle();
  });

  it('copes with removed rows and with a row re-used for another record', async () => {
    const api = new RecordingApi(ruleScore);
    const { doc, runner, reports } = await open('collection.html', api);
    expect(hosts(doc)).toHaveLength(3);
    doc.querySelector('[role="row"][aria-rowindex="2"]')?.remove();
    // React re-uses a row element for a different record after filtering.
    const reused = doc.querySelector('[role="row"][aria-rowindex="3"]')!;
    reused.querySelector('[data-field="title"] a')!.setAttribute('href', '/release/1000080-Other');
    await settle(runner);
    expect(hosts(doc).map((h) => data(h).releaseId)).toEqual(['1000080', '1000060']);
    expect(reused.querySelectorAll('[data-keepers-badge]')).toHaveLength(1);
    expect(runner.badges.all()).toHaveLength(2);
    expect(reports).toEqual([]);
  });

  it('renders nothing and throws nothing when the background does not answer; retries on the next change', async () => {
    const api = new RecordingApi(ruleScore);
    api.failScoring = true;
    const { doc, runner, reports } = await open('search.html', api);
    expect(hosts(doc)).toHaveLength(0);
    expect(reports.map(([id]) => id)).toEqual(['scoreRecords']);
    api.failScoring = false;
    doc.querySelector('main')?.append(doc.createElement('p'));
    await settle(runner);
    expect(hosts(doc).map((h) => data(h).releaseId || `m:${data(h).masterId}`)).toEqual(['m:500001', '1000001', '1000010']);
  });

  it('a failing feature does not stop the others', async () => {
    const api = new RecordingApi(ruleScore);
    const broken: ContentFeature = { id: 'broken-badges', stage: 'badge', apply: () => { throw new Error('boom'); } };
    const brokenAddon: ContentFeature = { id: 'broken-addon', stage: 'addon', apply: () => { throw new Error('bang'); } };
    const [, header, why, labels] = ALL_FEATURES;
    const { doc, reports } = await open('release.html', api, [broken, recordBadges, brokenAddon, header!, why!, labels!]);
    expect(reports.map(([id]) => id).sort()).toEqual(['broken-addon', 'broken-badges']);
    const all = hosts(doc);
    expect(all.map((h) => data(h).releaseId)).toEqual(['1000001', '1000002', '1000003', '1000050', '1000051']);
    for (const host of all) {
      expect(rootOf(host).querySelector('[data-keepers-why]')).not.toBeNull();
      expect(rootOf(host).querySelectorAll('[data-keepers-label-button]')).toHaveLength(2);
    }
  });

  it('leaves page styles alone: no style or link elements, no changed style/class attributes in the page', async () => {
    const api = new RecordingApi(ruleScore);
    const dom = loadFixture('marketplace-list.html');
    const doc = dom.window.document;
    const snapshot = () => ({
      sheets: doc.styleSheets.length,
      styleNodes: doc.querySelectorAll('style, link[rel="stylesheet"]').length,
      attrs: Array.from(doc.querySelectorAll('*'))
        .filter((el) => el.closest('[data-keepers-badge]') === null)
        .map((el) => `${el.tagName}|${el.getAttribute('style') ?? ''}|${el.getAttribute('class') ?? ''}`),
      bodyStyle: dom.window.getComputedStyle(doc.body).fontFamily,
    });
    const before = snapshot();
    const controller = new dom.window.AbortController();
    controllers.push(controller);
    const runner = startKeepers({ doc, api, signal: controller.signal, debounceMs: 5 });
    await settle(runner);
    expect(hosts(doc)).toHaveLength(4);
    expect(snapshot()).toEqual(before);
    // The badge's look lives in its shadow root.
    for (const host of hosts(doc)) {
      expect(host.getAttribute('style')).toBeNull();
      expect(rootOf(host).querySelector('style')?.textContent).toContain(':host');
    }
  });

  it('respects the feature toggles from the options page', async () => {
    const api = new RecordingApi(ruleScore);
    api.toggles = { 'why-shown': false, 'release-header-badge': false };
    const { doc } = await open('release.html', api);
    const all = hosts(doc);
    expect(all.some((h) => data(h).variant === 'header')).toBe(false);
    expect(all.length).toBe(4);
    expect(all.every((h) => rootOf(h).querySelector('[data-keepers-why]') === null)).toBe(true);
    expect(all.every((h) => rootOf(h).querySelectorAll('[data-keepers-label-button]').length === 2)).toBe(true);
  });

  it('removes its badges when the content script is invalidated', async () => {
    const api = new RecordingApi(ruleScore);
    const { doc, controller } = await open('wantlist.html', api);
    expect(hosts(doc)).toHaveLength(2);
    controller.abort();
    expect(hosts(doc)).toHaveLength(0);
  });
});

describe('release header badge', () => {
  it.each([
    ['release.html', 1000001],
    ['master.html', 1000001],
    ['marketplace-release.html', 1000001],
  ] as const)('%s has a header badge in its h1', async (name, id) => {
    const api = new RecordingApi(ruleScore);
    const { doc } = await open(name, api);
    const header = doc.querySelector('h1 [data-keepers-badge]') as HTMLElement | null;
    expect(data(header)).toMatchObject({ releaseId: String(id), variant: 'header', strategy: ruleScore(id).strategy });
    // The page's own record is scored once, in the same batch as the rows.
    expect(api.scoreBatches).toHaveLength(1);
    expect(api.scoreBatches[0]?.filter((r) => r.releaseId === id)).toHaveLength(1);
  });

  it('follows in-page navigation to another release', async () => {
    const api = new RecordingApi(ruleScore);
    const { dom, doc, runner } = await open('release.html', api);
    expect(doc.querySelector('h1 [data-keepers-badge]')?.getAttribute('data-release-id')).toBe('1000001');
    // React navigation: new URL, same heading element, new JSON-LD.
    dom.window.history.pushState({}, '', '/release/1000003-Nova-Lines-Afterglow');
    doc.querySelector('#release_schema')!.textContent = JSON.stringify({ name: 'Afterglow (Reissue)', datePublished: 2016 });
    doc.querySelector('#release-other-versions tbody tr:last-child')?.remove();
    await settle(runner);
    const header = doc.querySelectorAll('h1 [data-keepers-badge]');
    expect(Array.from(header).map((h) => h.getAttribute('data-release-id'))).toEqual(['1000003']);
    expect(api.scoreBatches).toHaveLength(2);
    expect(api.scoreBatches[1]?.find((r) => r.releaseId === 1000003)?.release).toMatchObject({ title: 'Afterglow (Reissue)', year: 2016 });
  });
});

describe('"Why shown?"', () => {
  it('opens a popover with the reasons from explainRecord, as text, and closes with Escape', async () => {
    const api = new RecordingApi(ruleScore);
    api.reasons = [
      { kind: 'similar-keepers', text: 'Like 2 records you kept: <img src=x onerror=alert(1)>' },
      { kind: 'uncertainty', text: 'New artist: the model has seen no label for Tern yet' },
    ];
    const { doc, dom } = await open('wantlist.html', api);
    const host = doc.querySelector('[data-keepers-badge][data-release-id="1000060"]')!;
    const root = rootOf(host);
    const button = root.querySelector<HTMLButtonElement>('[data-keepers-why]')!;
    const popover = root.getElementById(button.getAttribute('aria-controls')!)!;
    expect(button.tagName).toBe('BUTTON');
    expect(popover.hidden).toBe(true);

    const rowClicks: Event[] = [];
    host.closest('tr')!.addEventListener('click', (e) => rowClicks.push(e));
    button.click();
    expect(button.getAttribute('aria-expanded')).toBe('true');
    await new Promise((r) => setTimeout(r, 0));
    expect(api.explained).toEqual([1000060]);
    // The badge's own score goes along, so the background states the numbers the badge shows.
    const { strategy, mean, uncertainty, aleatoric } = ruleScore(1000060);
    expect(api.explainedRecords[0]?.score).toEqual({ strategy, mean, uncertainty, aleatoric, learned: true });
    expect(Array.from(popover.querySelectorAll('li')).map((li) => li.textContent)).toEqual(api.reasons.map((r) => r.text));
    expect(popover.querySelector('img')).toBeNull();
    expect(rowClicks).toHaveLength(0);

    popover.dispatchEvent(new dom.window.KeyboardEvent('keydown', { key: 'Escape', bubbles: true, composed: true }));
    expect(popover.hidden).toBe(true);
    expect(button.getAttribute('aria-expanded')).toBe('false');
    expect(root.activeElement).toBe(button);

    // Reopening uses the reasons already loaded; a click elsewhere on the page closes it.
    button.click();
    expect(popover.hidden).toBe(false);
    expect(api.explained).toEqual([1000060]);
    doc.querySelector('h1')!.click();
    expect(popover.hidden).toBe(true);
  });
});

describe('before the model has learned from any label', () => {
  it('no badge claims confidence or shows a probability: it says there are no labels yet, and the label buttons work', async () => {
    const api = new RecordingApi(unlearnedScore);
    const { doc } = await open('marketplace-list.html', api);
    const badges = hosts(doc);
    expect(badges).toHaveLength(4);
    for (const badge of badges) {
      expect(data(badge)).toMatchObject({ strategy: 'explore', learned: 'false' });
      expect(badgeParts(badge)).toEqual({ text: 'No labels yet — label this to teach Keepers', prob: '' });
      const visible = shadowText(badge);
      expect(visible).not.toMatch(/High-confidence|Learning from this|%|±/);
      const described = rootOf(badge).querySelector('.badge')!.getAttribute('aria-label')!;
      expect(described).toMatch(/no keep-probability/);
      expect(described).not.toMatch(/\d+%|±|High-confidence/);
      expect(rootOf(badge).querySelectorAll('[data-keepers-label-button]')).toHaveLength(2);
    }
    const keeper = rootOf(badges[1]).querySelector<HTMLButtonElement>('[data-keeper="true"]')!;
    keeper.click();
    expect(api.labels).toEqual([{ releaseId: 1000051, keeper: true }]);
    expect(data(badges[1]).keepersLabel).toBe('keeper');
    expect(shadowText(badges[1]!)).toContain('✓ Keeper');
    expect(shadowText(badges[1]!)).not.toMatch(/%/);
  });

  it('says how many labels wait to be learned from, and a labelled record shows its label with no number', async () => {
    const api = new RecordingApi((id) =>
      id === 1000020 ? { ...unlearnedScore(id), strategy: 'none', pendingLabels: 3, label: false } : { ...unlearnedScore(id), pendingLabels: 3 },
    );
    const { doc } = await open('marketplace-list.html', api);
    const labelled = doc.querySelector<HTMLElement>('[data-keepers-badge][data-release-id="1000020"]')!;
    expect(badgeParts(labelled)).toEqual({ text: '', prob: '' });
    expect(shadowText(labelled)).toContain('✗ Not a keeper');
    expect(shadowText(labelled)).not.toMatch(/%/);
    const other = doc.querySelector<HTMLElement>('[data-keepers-badge][data-release-id="1000001"]')!;
    expect(badgeParts(other).text).toBe('Nothing learned yet (3 labels so far) — label this to teach Keepers');
  });

  it('a master-only row asks for a version to be labelled, with no number', async () => {
    const api = new RecordingApi(unlearnedScore);
    const { doc } = await open('artist.html', api);
    const master = doc.querySelector<HTMLElement>('[data-keepers-badge][data-master-id="500001"]')!;
    expect(badgeParts(master)).toEqual({ text: 'No labels yet — label a version to teach Keepers', prob: '' });
  });

  it('"Why shown?" sends the badge as unlearned and shows what the model knows, as text', async () => {
    const api = new RecordingApi(unlearnedScore);
    api.reasons = [
      { kind: 'knowledge', text: 'No labels learned yet: this browser is not paired with a Keepers backend.' },
      { kind: 'knowledge', text: 'To teach it: pair this browser in the Keepers options.' },
    ];
    const { doc } = await open('release.html', api);
    const header = doc.querySelector<HTMLElement>('h1 [data-keepers-badge]')!;
    expect(badgeParts(header)).toEqual({ text: 'No labels yet — label this to teach Keepers', prob: '' });
    const root = rootOf(header);
    root.querySelector<HTMLButtonElement>('[data-keepers-why]')!.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(api.explainedRecords[0]?.score).toMatchObject({ strategy: 'explore', learned: false });
    const items = Array.from(root.querySelectorAll('[role="dialog"] li'));
    expect(items.map((li) => [li.getAttribute('data-kind'), li.textContent])).toEqual(api.reasons.map((r) => [r.kind, r.text]));
  });
});

describe('label buttons', () => {
  it('labels at once, on every badge of the release, and sends submitLabel', async () => {
    const api = new RecordingApi(ruleScore);
    const { doc, runner } = await open('search.html', api);
    // The same release twice on the page.
    const list = doc.querySelector('ul.cards_2PZkN')!;
    list.append(list.children[2]!.cloneNode(true));
    list.lastElementChild!.querySelectorAll('[data-keepers-badge]').forEach((b) => b.remove());
    await settle(runner);
    const badges = Array.from(doc.querySelectorAll<HTMLElement>('[data-keepers-badge][data-release-id="1000001"]'));
    expect(badges).toHaveLength(2);

    const keeper = rootOf(badges[0]).querySelector<HTMLButtonElement>('[data-keeper="true"]')!;
    keeper.click();
    // Before the background has answered:
    expect(badges.map((b) => data(b).keepersLabel)).toEqual(['keeper', 'keeper']);
    expect(keeper.getAttribute('aria-pressed')).toBe('true');
    expect(rootOf(badges[1]).querySelector('[data-keeper="true"]')?.getAttribute('aria-pressed')).toBe('true');
    expect(shadowText(badges[0]!)).toContain('Keeper');
    expect(api.labels).toEqual([{ releaseId: 1000001, keeper: true }]);
    api.answerLabels();
    await new Promise((r) => setTimeout(r, 0));
    expect(data(badges[0]).keepersLabel).toBe('keeper');
  });

  it('a script on the page cannot label: clicks that are not trusted (button.click(), dispatchEvent) are ignored', async () => {
    const api = new RecordingApi(ruleScore);
    // The runner's own check (event.isTrusted), as in the extension: jsdom's clicks are untrusted, like a page script's.
    const { doc, reports } = await open('label.html', api, undefined, false);
    const badge = doc.querySelector<HTMLElement>('[data-keepers-badge][data-release-id="1000020"]')!;
    const button = rootOf(badge).querySelector<HTMLButtonElement>('[data-keeper="true"]')!;
    button.click();
    button.dispatchEvent(new doc.defaultView!.MouseEvent('click', { bubbles: true, composed: true }));
    expect(api.labels).toEqual([]);
    expect(data(badge).keepersLabel).toBeUndefined();
    expect(reports.some(([id, e]) => id === 'label-buttons' && String(e).includes('isTrusted'))).toBe(true);
  });

  it('a script on the page cannot read scores or labels: closed shadow roots, no score or label attributes in the page DOM', async () => {
    const earlier = new Map([[1000051, true], [1000020, false]]);
    const api = new RecordingApi((id) => ({ ...ruleScore(id), ...(earlier.has(id) ? { strategy: 'none' as const, label: earlier.get(id)! } : {}) }));
    const { doc } = await open('marketplace-list.html', api);
    // The user labels one more record on the page.
    rootOf(doc.querySelector('[data-keepers-badge][data-release-id="1000001"]')).querySelector<HTMLButtonElement>('[data-keeper="true"]')!.click();
    expect(api.labels).toEqual([{ releaseId: 1000001, keeper: true }]);
    expect(data(doc.querySelector('[data-keepers-badge][data-release-id="1000001"]')).keepersLabel).toBe('keeper');

    // What a page script sees, with plain DOM calls:
    const pageHosts = Array.from(doc.querySelectorAll('[data-keepers-badge]'));
    expect(pageHosts).toHaveLength(4);
    const neutral = ['data-keepers', 'data-keepers-badge', 'data-variant', 'data-release-id', 'data-master-id'];
    for (const host of pageHosts) {
      expect(host.shadowRoot).toBeNull();
      expect(host.getAttributeNames().filter((name) => !neutral.includes(name))).toEqual([]);
      expect(host.textContent).toBe('');
    }
    const leaky = ['data-strategy', 'data-mean', 'data-uncertainty', 'data-learned', 'data-keepers-label'];
    expect(Array.from(doc.querySelectorAll(leaky.map((a) => `[${a}]`).join(', ')))).toEqual([]);
    // Every text node and attribute the page can reach.
    const html = [doc.documentElement.textContent ?? '', ...Array.from(doc.querySelectorAll('*')).flatMap((el) => el.getAttributeNames().map((n) => `${n}=${el.getAttribute(n) ?? ''}`))].join('\n');
    for (const id of [1000001, 1000051, 1000060, 1000020]) {
      expect(html).not.toContain(`${Math.round(ruleScore(id).mean * 100)}% ± `);
      expect(html).not.toContain(ruleScore(id).mean.toFixed(4));
    }
    expect(html).not.toMatch(/High-confidence|Learning from this|keep-probability|✓ Keeper|✗ Not a keeper/);
  });

  it('shows the previous state again when the label could not be queued', async () => {
    const api = new RecordingApi(ruleScore);
    api.failLabels = true;
    const { doc, reports } = await open('label.html', api);
    const badge = doc.querySelector<HTMLElement>('[data-keepers-badge][data-release-id="1000020"]')!;
    rootOf(badge).querySelector<HTMLButtonElement>('[data-keeper="false"]')!.click();
    expect(data(badge).keepersLabel).toBe('not-keeper');
    api.answerLabels();
    await new Promise((r) => setTimeout(r, 0));
    expect(data(badge).keepersLabel).toBeUndefined();
    expect(reports.map(([id]) => id)).toEqual(['label-buttons']);
  });
});

describe('master-only rows', () => {
  it('artist page: every row has a badge; the master row is scored in the same batch, by its master id', async () => {
    const api = new RecordingApi(ruleScore);
    const { doc } = await open('artist.html', api);
    expect(api.scoreBatches).toHaveLength(1);
    expect(api.scoreBatches[0]?.map((r) => [r.releaseId, r.masterId ?? null])).toEqual([[null, 500001], [1000010, null], [1000011, null]]);
    const rows = Array.from(doc.querySelectorAll('table[class^="releases_"] tbody tr'));
    expect(rows.map((r) => r.querySelectorAll('[data-keepers-badge]').length)).toEqual([1, 1, 1]);
    const master = rows[0]!.querySelector<HTMLElement>('[data-keepers-badge]')!;
    // data-release-id stays (empty: no release), data-master-id names the master; the score is the master's.
    expect(master.getAttribute('data-release-id')).toBe('');
    expect(data(master)).toMatchObject({ masterId: '500001', strategy: ruleScore(500001).strategy });
    expect(Number(data(master).mean)).toBeCloseTo(ruleScore(500001).mean, 4);
    expect(master.closest('td')?.className).toContain('skittles_');
    expect(rows[1]!.querySelector('[data-keepers-badge]')?.hasAttribute('data-master-id')).toBe(false);
  });

  it('a master row has "Why shown?" but no label buttons: its title says to open a version', async () => {
    const api = new RecordingApi(ruleScore);
    const { doc } = await open('label.html', api);
    const master = doc.querySelector<HTMLElement>('[data-keepers-badge][data-master-id="500007"]')!;
    const root = rootOf(master);
    expect(root.querySelectorAll('[data-keepers-label-button]')).toHaveLength(0);
    expect(root.querySelector('.badge')?.getAttribute('title')).toMatch(/Open a version to label it/);
    expect(root.querySelector('.badge')?.getAttribute('aria-label')).toMatch(/Open a version to label it/);
    // Release rows of the same page keep their buttons and no hint.
    const release = doc.querySelector<HTMLElement>('[data-keepers-badge][data-release-id="1000020"]')!;
    expect(rootOf(release).querySelectorAll('[data-keepers-label-button]')).toHaveLength(2);
    expect(rootOf(release).querySelector('.badge')?.getAttribute('title')).not.toMatch(/Open a version/);

    root.querySelector<HTMLButtonElement>('[data-keepers-why]')!.click();
    await new Promise((r) => setTimeout(r, 0));
    expect(api.explainedRecords.map((e) => [e.record.releaseId, e.record.masterId])).toEqual([[null, 500007]]);
    expect(api.explainedRecords[0]?.record.release).toMatchObject({ title: 'Coastal', artists: ['Sable Field'], year: 1996 });
    expect(Array.from(root.querySelectorAll('[role="dialog"] li')).map((li) => li.textContent)).toEqual(api.reasons.map((r) => r.text));
  });

  it('the master page header labels through the main release and names its master', async () => {
    const api = new RecordingApi(ruleScore);
    const { doc } = await open('master.html', api);
    const header = doc.querySelector<HTMLElement>('h1 [data-keepers-badge]')!;
    expect(data(header)).toMatchObject({ releaseId: '1000001', masterId: '500001' });
    rootOf(header).querySelector<HTMLButtonElement>('[data-keeper="true"]')!.click();
    expect(api.labels).toEqual([{ releaseId: 1000001, keeper: true }]);
  });
});

describe('earlier labels', () => {
  it('a record the background reports as labelled shows its label and the pressed button on load', async () => {
    // As after a reload: 1000051 was kept, 1000020 passed on; the others have no label.
    const earlier = new Map([[1000051, true], [1000020, false]]);
    const api = new RecordingApi((id) => ({ ...ruleScore(id), ...(earlier.has(id) ? { strategy: 'none' as const, label: earlier.get(id)! } : {}) }));
    const { doc } = await open('marketplace-list.html', api);
    const badge = (id: number) => doc.querySelector<HTMLElement>(`[data-keepers-badge][data-release-id="${id}"]`)!;
    const pressed = (id: number) =>
      Array.from(rootOf(badge(id)).querySelectorAll('[data-keepers-label-button]')).map((b) => [b.getAttribute('data-keeper'), b.getAttribute('aria-pressed')]);

    expect(data(badge(1000051)).keepersLabel).toBe('keeper');
    expect(shadowText(badge(1000051))).toContain('✓ Keeper');
    expect(pressed(1000051)).toEqual([['true', 'true'], ['false', 'false']]);
    expect(data(badge(1000020)).keepersLabel).toBe('not-keeper');
    expect(shadowText(badge(1000020))).toContain('✗ Not a keeper');
    expect(pressed(1000020)).toEqual([['true', 'false'], ['false', 'true']]);
    expect(data(badge(1000001)).keepersLabel).toBeUndefined();
    expect(pressed(1000001)).toEqual([['true', 'false'], ['false', 'false']]);

    // Changing one's mind works from there, and sends the new label.
    rootOf(badge(1000020)).querySelector<HTMLButtonElement>('[data-keeper="true"]')!.click();
    expect(data(badge(1000020)).keepersLabel).toBe('keeper');
    expect(api.labels).toEqual([{ releaseId: 1000020, keeper: true }]);
  });

  it('a label made on the page survives React re-rendering the row (the badge comes back labelled)', async () => {
    const api = new RecordingApi(ruleScore);
    const { doc, runner } = await open('label.html', api);
    const row = doc.querySelector('[data-keepers-badge][data-release-id="1000020"]')!.closest('tr')!;
    rootOf(row.querySelector('[data-keepers-badge]')).querySelector<HTMLButtonElement>('[data-keeper="false"]')!.click();
    api.answerLabels();
    row.querySelector('[data-keepers-badge]')!.remove();
    await settle(runner);
    const back = row.querySelector<HTMLElement>('[data-keepers-badge]')!;
    expect(data(back).keepersLabel).toBe('not-keeper');
    expect(rootOf(back).querySelector('[data-keeper="false"]')?.getAttribute('aria-pressed')).toBe('true');
    expect(api.scoreBatches).toHaveLength(1);
  });

  it('the label shows even with the label buttons switched off', async () => {
    const api = new RecordingApi((id) => ({ ...ruleScore(id), ...(id === 1000060 ? { label: true } : {}) }));
    api.toggles = { 'label-buttons': false };
    const { doc } = await open('wantlist.html', api);
    const badge = doc.querySelector<HTMLElement>('[data-keepers-badge][data-release-id="1000060"]')!;
    expect(data(badge).keepersLabel).toBe('keeper');
    expect(rootOf(badge).querySelectorAll('[data-keepers-label-button]')).toHaveLength(0);
  });
});
