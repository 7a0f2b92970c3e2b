// The built extension in Debian Chromium (headless, SwiftShader for WebGL) against fixture pages served
// as https://www.discogs.com/... and a real backend started here (temporary database, free port,
// paired through the CLI). Screenshots go to test-results/screenshots/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { PageRecord, RecordScore } from '../../extension/core/messaging';
import { FIXTURE_DIR, FIXTURE_PAGES, type FixtureName } from '../fixtures/discogs-pages/pages';
import { dataPath, hasData } from '../helpers/data';
import { badgeViews, clickInBadge, waitForBadge } from './badges';
import { hasChromium, launchWithExtension, message, openExtensionPage, pairingToken, screenshotPath, startBackend, type Backend, type ExtensionBrowser } from './helpers';
import { poolLines } from './pool';

const MARKETPLACE = FIXTURE_PAGES['marketplace-list.html'];
const RELEASE = FIXTURE_PAGES['release.html'];

/** Serves every fixture page at the Discogs URL it stands for; anything else on discogs.com is a 404. */
async function routeDiscogs(ext: ExtensionBrowser): Promise<void> {
  const byPath = new Map<string, FixtureName>();
  for (const [file, url] of Object.entries(FIXTURE_PAGES)) byPath.set(new URL(url).pathname, file as FixtureName);
  await ext.context.route('https://www.discogs.com/**', async (route) => {
    const file = byPath.get(new URL(route.request().url()).pathname);
    if (!file) return route.fulfill({ status: 404, body: 'not a fixture' });
    return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: readFileSync(join(FIXTURE_DIR, file), 'utf8') });
  });
  // Real pages reference Discogs' CDNs and third parties: unreachable here, so refuse them at once.
  await ext.context.route(
    (url) => url.protocol.startsWith('http') && url.hostname !== 'www.discogs.com' && url.hostname !== '127.0.0.1',
    (route) => route.abort(),
  );
}

const REAL_MARKETPLACE = 'KirianCaumes__Discogs-Marketplace-API-NodeJS/test__html__index@2020-04-25_491dbe4.html';
const REAL_ITEM_PAGE_2021 = 'grigorjevas__Discogs-marketplace-scraper/test__example_page@2021-03-15_f7b21ad.html';

/** What a badge shows a person: its visible box (the shadow root's style sheet and closed popover left out). */
async function badgeTexts(page: Page, selector = '[data-keepers-badge]'): Promise<string[]> {
  return (await badgeViews(page, selector)).map((b) => b.text);
}

/**
 * What a script on the page (the main world, where Discogs' scripts run) can learn from the badges:
 * the hosts and their neutral ids, nothing else. The badges are there and show their numbers and labels
 * to the person (read above through the DevTools protocol), yet the page finds no shadow root, no score
 * or label attribute and none of the badges' words in the DOM it can reach.
 */
async function expectUnreadableByPage(page: Page, shown: string[]): Promise<void> {
  const seen = await page.evaluate(() => {
    const hosts = Array.from(document.querySelectorAll('[data-keepers-badge]'));
    return {
      hosts: hosts.length,
      openRoots: hosts.filter((h) => h.shadowRoot !== null).length,
      hostAttributes: Array.from(new Set(hosts.flatMap((h) => h.getAttributeNames()))).sort(),
      leakyElements: document.querySelectorAll('[data-strategy], [data-mean], [data-uncertainty], [data-learned], [data-keepers-label]').length,
      // Every text node and attribute the page can reach (outerHTML would say the same; the lint rule keeps it out).
      html: [document.documentElement.textContent ?? '', ...Array.from(document.querySelectorAll('*')).flatMap((el) => el.getAttributeNames().map((n) => `${n}=${el.getAttribute(n) ?? ''}`))].join('\n'),
      text: document.body.innerText,
    };
  });
  expect(seen.hosts).toBeGreaterThan(0);
  expect(seen.openRoots).toBe(0);
  expect(seen.hostAttributes.filter((a) => !['data-keepers', 'data-keepers-badge', 'data-master-id', 'data-release-id', 'data-variant'].includes(a))).toEqual([]);
  expect(seen.leakyElements).toBe(0);
  for (const text of shown.filter((t) => t.length > 0)) {
    expect(seen.html).not.toContain(text);
    expect(seen.text).not.toContain(text);
  }
  expect(seen.html).not.toMatch(/High-confidence keeper|Learning from this|No labels yet|keep-probability|✓ Keeper|✗ Not a keeper/);
}

/** Before the model has learned from a label: no confidence claimed, no probability, and it says so. */
function expectHonestColdStart(texts: string[]): void {
  expect(texts.length).toBeGreaterThan(0);
  for (const text of texts) {
    expect(text).not.toMatch(/High-confidence keeper/);
    expect(text).not.toMatch(/%|±/);
    expect(text).toContain('No labels yet — label');
  }
}

async function badgeIds(page: Page, selector = '[data-keepers-badge]'): Promise<number[]> {
  return page.$$eval(selector, (els) => els.map((e) => Number(e.getAttribute('data-release-id'))));
}

/** Release ids of the listing rows, read the way a person would: the row's release link or its data attribute. */
async function marketplaceRowIds(page: Page): Promise<number[]> {
  return page.$$eval('table.mpitems tbody tr.shortcut_navigable', (rows) =>
    rows.map((row) => {
      const href = row.querySelector('a.item_release_link')?.getAttribute('href') ?? '';
      const m = /release\/(\d+)/.exec(href);
      return Number(m ? m[1] : row.getAttribute('data-release-id'));
    }),
  );
}

async function healthModelVersion(backend: Backend): Promise<string | null> {
  const body = (await (await fetch(`${backend.url}/trpc/health`)).json()) as { result: { data: { modelVersion: string | null } } };
  return body.result.data.modelVersion;
}

function pageRecords(n: number): PageRecord[] {
  const styles = ['Techno', 'Deep House', 'Hard Bop', 'Post-Punk', 'Soul', 'Ambient'];
  return Array.from({ length: n }, (_, i) => ({
    releaseId: 3_000_000 + i,
    release: {
      id: 3_000_000 + i,
      title: `Scoring Check ${i}`,
      artists: [`Checker ${i % 13}`],
      labels: [{ name: `Label ${i % 7}`, catno: null }],
      year: 1970 + (i % 50),
      genres: [i % 2 ? 'Electronic' : 'Jazz'],
      styles: [styles[i % styles.length]!],
    },
  }));
}

describe.skipIf(!hasChromium)('Discogs Keepers extension in Chromium', () => {
  let ext: ExtensionBrowser;
  let backend: Backend;
  let extPage: Page;

  beforeAll(async () => {
    [ext, backend] = await Promise.all([launchWithExtension(), startBackend({ poolJsonl: poolLines() })]);
    await routeDiscogs(ext);
    extPage = await openExtensionPage(ext);
  });

  afterAll(async () => {
    await ext?.close();
    await backend?.stop();
  });

  test('before pairing: a badge on every release row of a marketplace page; nothing learned, so no numbers and no confidence', async () => {
    const page = await ext.context.newPage();
    await page.goto(MARKETPLACE);
    const rows = await marketplaceRowIds(page);
    expect(rows.length).toBeGreaterThanOrEqual(4);
    await page.waitForFunction((n) => document.querySelectorAll('[data-keepers-badge]').length >= n, rows.length, { timeout: 30_000 });
    expect((await badgeIds(page)).sort()).toEqual([...rows].sort());

    const badges = await badgeViews(page);
    expect(badges).toHaveLength(rows.length);
    for (const b of badges) {
      // Closed: a page script gets host.shadowRoot === null (see expectUnreadableByPage).
      expect(b.mode).toBe('closed');
      // The untrained model still ran (its raw score is kept inside the badge), but it is shown as nothing.
      expect(b.mean).toBeGreaterThanOrEqual(0);
      expect(b.mean).toBeLessThanOrEqual(1);
      expect(b.learned).toBe('false');
      // With nothing learned no record is a better pick: every one is there to learn from, none exploited.
      expect(b.strategy).toBe('explore');
    }
    expectHonestColdStart(await badgeTexts(page));
    // The label buttons are there to start teaching it.
    expect(badges.flatMap((b) => b.buttons)).toHaveLength(2 * rows.length);
    // A script on the page reads none of it.
    await expectUnreadableByPage(page, badges.map((b) => b.text));
    await page.screenshot({ path: screenshotPath('marketplace-badges.png'), fullPage: true });
    await page.close();
  });

  test.skipIf(!hasData)('a real 2020 Discogs marketplace page (../shared/data): a badge in every listing row', async () => {
    const html = readFileSync(dataPath('sources', REAL_MARKETPLACE), 'utf8');
    const url = 'https://www.discogs.com/fr/sell/list?sort=listed%2Cdesc&limit=25&page=1';
    const page = await ext.context.newPage();
    await page.route('https://www.discogs.com/fr/sell/list**', (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await page.goto(url);
    const rows = page.locator('table.mpitems tbody tr.shortcut_navigable');
    const count = await rows.count();
    expect(count).toBe(25);
    await page.waitForFunction((n) => document.querySelectorAll('table.mpitems tbody tr.shortcut_navigable [data-keepers-badge]').length >= n, count, {
      timeout: 30_000,
    });
    const perRow = await rows.evaluateAll((trs) =>
      trs.map((tr) => {
        const link = /release\/(\d+)/.exec(tr.querySelector('a.item_release_link')?.getAttribute('href') ?? '');
        return { linked: Number(link?.[1]), badged: tr.querySelector('[data-keepers-badge]')?.getAttribute('data-release-id') };
      }),
    );
    for (const row of perRow) expect(Number(row.badged)).toBe(row.linked);
    // A fresh install has learned nothing: no badge of the 25 claims confidence or shows a probability.
    expectHonestColdStart(await badgeTexts(page, 'table.mpitems tbody tr.shortcut_navigable [data-keepers-badge]'));
    await rows.nth(2).scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath('real-marketplace-badges.png') });
    await page.close();
  });

  test.skipIf(!hasData)('a real 2021 Discogs marketplace page, fresh install: "no labels yet", no confidence, no %; "Why shown?" says what the model knows', async () => {
    const html = readFileSync(dataPath('sources', REAL_ITEM_PAGE_2021), 'utf8');
    const url = 'https://www.discogs.com/sell/release/9830762';
    const status = await message(extPage, 'getStatus');
    expect(status.sync.paired).toBe(false);
    expect(status.scorer.knowledge).toEqual({ learned: false, labels: 0, head: 'mc-dropout' });
    const page = await ext.context.newPage();
    await page.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await page.goto(url);
    const headerSelector = '#profile_title [data-keepers-badge]';
    const header = page.locator(headerSelector);
    await header.waitFor({ timeout: 30_000 });
    expect(await header.getAttribute('data-release-id')).toBe('9830762');
    expect((await waitForBadge(page, headerSelector)).learned).toBe('false');
    const texts = await badgeTexts(page);
    expectHonestColdStart(texts);
    expect(texts[0]).toContain('No labels yet — label this to teach Keepers');
    // Labelling is how to start, so the buttons work as ever.
    expect((await waitForBadge(page, headerSelector)).buttons).toHaveLength(2);

    await clickInBadge(page, headerSelector, '[data-keepers-why]');
    const explained = (await waitForBadge(page, headerSelector, (b) => b.reasons.length > 0)).reasons;
    const reasons = explained.map((r) => r.text);
    const said = reasons.join('\n');
    expect(said).toMatch(/No labels learned yet: this browser is not paired/);
    expect(said).toMatch(/pair this browser in the Keepers options/);
    expect(said).toMatch(/npx keepers import FILE --as-keepers/);
    // Nothing canned: no similar records, no feature effects, no probability the model cannot back.
    expect(said).not.toMatch(/\d+%|±|Like \d+ record|raises|lowers|High-confidence/);
    expect(explained.map((r) => r.kind)).toEqual(reasons.map(() => 'knowledge'));
    await page.screenshot({ path: screenshotPath('real-2021-cold-start-why-shown.png') });
    await page.close();
  });

  test('a release page gets a header badge, and "Why shown?" opens with what the model knows (nothing yet)', async () => {
    const page = await ext.context.newPage();
    await page.goto(RELEASE);
    const headerSelector = '[data-keepers-badge][data-variant="header"]';
    const header = page.locator(headerSelector);
    await header.waitFor({ timeout: 30_000 });
    expect(await header.getAttribute('data-release-id')).toBe('1000001');
    expect((await waitForBadge(page, headerSelector)).prob).toBe('');

    await clickInBadge(page, headerSelector, '[data-keepers-why]');
    const reasons = (await waitForBadge(page, headerSelector, (b) => b.reasons.length > 0)).reasons.map((r) => r.text);
    expect(reasons.length).toBeGreaterThanOrEqual(2);
    // Computed from this device's state, not canned evidence: no labels, not paired, how to start.
    expect(reasons[0]).toMatch(/^No labels learned yet: this browser is not paired/);
    expect(reasons.join('\n')).not.toMatch(/predicted keep chance|\d+%/);
    await page.screenshot({ path: screenshotPath('release-why-shown-cold.png') });
    await page.close();
  });

  test('an artist discography: every row badged, the master-only row too, and its "Why shown?" says how to label it', async () => {
    const page = await ext.context.newPage();
    await page.goto(FIXTURE_PAGES['artist.html']);
    const rows = page.locator('table[class^="releases_"] tbody tr');
    const count = await rows.count();
    expect(count).toBe(3);
    await page.waitForFunction((n) => document.querySelectorAll('[data-keepers-badge]').length >= n, count, { timeout: 30_000 });
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td[class*="skittles_"] [data-keepers-badge]').length))).toEqual([1, 1, 1]);

    const masterSelector = '[data-keepers-badge][data-master-id="500001"]';
    const master = page.locator(masterSelector);
    expect(await master.getAttribute('data-release-id')).toBe('');
    const masterBadge = await waitForBadge(page, masterSelector);
    expect(masterBadge.strategy).toBe('explore');
    expect(masterBadge.mean).toBeGreaterThan(0);
    expect(masterBadge.mean).toBeLessThan(1);
    expect(masterBadge.text).toContain('No labels yet — label a version to teach Keepers');
    // No label buttons on a master: the badge says why.
    expect(masterBadge.buttons).toHaveLength(0);
    expect(masterBadge.title).toMatch(/Open a version to label it/);
    expect((await waitForBadge(page, '[data-keepers-badge][data-release-id="1000010"]')).buttons).toHaveLength(2);

    await page.screenshot({ path: screenshotPath('artist-masters.png') });

    await clickInBadge(page, masterSelector, '[data-keepers-why]');
    const reasons = (await waitForBadge(page, masterSelector, (b) => b.reasons.length > 0)).reasons.map((r) => r.text);
    expect(reasons.join('\n')).toMatch(/open a version of this master/);
    expect(reasons.join('\n')).not.toMatch(/\d+%/);
    await page.screenshot({ path: screenshotPath('artist-master-why-shown.png') });
    await page.close();
  });

  test('the content script keeps working after in-page navigation (pushState + new rows)', async () => {
    const page = await ext.context.newPage();
    await page.goto(MARKETPLACE);
    await page.waitForSelector('[data-keepers-badge]');
    await page.evaluate(() => {
      history.pushState({}, '', '/de/sell/list?genre=Electronic&page=2');
      const tbody = document.querySelector('table.mpitems tbody')!;
      const template = tbody.querySelector('tr.shortcut_navigable')!;
      for (const id of [1000097, 1000098]) {
        const row = template.cloneNode(true) as HTMLElement;
        row.querySelectorAll('[data-keepers-badge]').forEach((b) => b.remove());
        row.querySelector('a.item_release_link')!.setAttribute('href', `/de/release/${id}-Paged-Row`);
        row.querySelector('a.item_description_title')!.textContent = `Paged Row ${id}`;
        tbody.append(row);
      }
    });
    await page.waitForSelector('[data-keepers-badge][data-release-id="1000098"]', { timeout: 30_000 });
    expect(await badgeIds(page)).toEqual(expect.arrayContaining([1000097, 1000098]));
    await page.close();
  });

  test('automatic tfjs backend follows the renderer rule; forced WebGL scores like WASM', async () => {
    const auto = await message(extPage, 'getStatus');
    expect(auto.scorer.renderer).toMatch(/swiftshader/i); // software WebGL on this machine
    expect(auto.scorer.backend).toBe('wasm');
    expect(auto.scorer.reason).toMatch(/software/i);

    const records = pageRecords(200);
    const onWasm = await message(extPage, 'scoreRecords', { records, pageUrl: MARKETPLACE });
    expect(onWasm.backend).toBe('wasm');

    const forced = await message(extPage, 'setBackendPreference', { preference: 'webgl' });
    expect(forced.backend).toBe('webgl');
    const onWebgl = await message(extPage, 'scoreRecords', { records, pageUrl: MARKETPLACE });
    expect(onWebgl.backend).toBe('webgl');

    const byId = new Map<number | null, RecordScore>(onWasm.items.map((i) => [i.releaseId, i]));
    let maxDiff = 0;
    for (const item of onWebgl.items) {
      const w = byId.get(item.releaseId)!;
      maxDiff = Math.max(maxDiff, Math.abs(item.mean - w.mean), Math.abs(item.uncertainty - w.uncertainty));
    }
    expect(onWebgl.items).toHaveLength(records.length);
    expect(maxDiff).toBeLessThan(2e-3);
    // Means vary across records (the model really ran), so the comparison is not trivially 0 = 0.
    const means = onWasm.items.map((i) => i.mean);
    expect(Math.max(...means) - Math.min(...means)).toBeGreaterThan(1e-3);

    const back = await message(extPage, 'setBackendPreference', { preference: 'auto' });
    expect(back.backend).toBe('wasm');
  });

  test('pairing in the options, a batch labelled in the popup, and the backend’s model version advances', async () => {
    const options = await openExtensionPage(ext, 'options.html');
    await options.fill('input[name="backendUrl"]', backend.url);
    await options.fill('input[name="pairingCode"]', await backend.pairingCode());
    await options.click('button[type="submit"]');
    await options.getByTestId('paired').waitFor({ timeout: 30_000 });
    await options.screenshot({ path: screenshotPath('options-paired.png') });
    const before = await healthModelVersion(backend);

    const popup = await openExtensionPage(ext, 'popup.html');
    await popup.setViewportSize({ width: 400, height: 640 });
    const progress = popup.getByTestId('progress');
    await expect.poll(() => progress.textContent(), { timeout: 30_000 }).toBe('0 / 20 labelled');
    // The backend's first version was fitted on no labels: the cards show no probability yet.
    expect((await message(extPage, 'getStatus')).scorer.knowledge.learned).toBe(false);
    const firstCard = popup.locator('article.card');
    expect(await firstCard.getAttribute('data-learned')).toBe('false');
    expect(await firstCard.textContent()).not.toMatch(/%|High-confidence/);
    const keys = ['k', 'n', 'ArrowRight', 'ArrowLeft'];
    for (let i = 0; i < 20; i++) {
      if (i === 3) {
        // Undo takes the last label back; the same record is labelled again.
        await popup.keyboard.press('u');
        await expect.poll(() => progress.textContent()).toBe('2 / 20 labelled');
        await popup.keyboard.press('k');
        await expect.poll(() => progress.textContent()).toBe('3 / 20 labelled');
      }
      if (i === 6) await popup.screenshot({ path: screenshotPath('popup-batch.png') });
      if (i === 10) {
        await popup.getByTestId('keeper').click();
      } else {
        await popup.keyboard.press(keys[i % keys.length]!);
      }
      await expect.poll(() => progress.textContent()).toBe(`${i + 1} / 20 labelled`);
    }
    await popup.getByTestId('batch-done').waitFor();

    // The finished batch reaches the backend, whose online update makes a new version.
    await expect.poll(() => healthModelVersion(backend), { timeout: 90_000, interval: 1000 }).not.toBe(before);
    const after = await healthModelVersion(backend);
    // The extension pulls and verifies the new weights (sha256, schema) and scores with them.
    await expect
      .poll(async () => (await message(extPage, 'syncNow'), (await message(extPage, 'getStatus')).scorer.modelVersion), { timeout: 60_000, interval: 1000 })
      .toBe(after);
    const status = await message(extPage, 'getStatus');
    expect(status.scorer.modelSource).toBe('backend');
    expect(status.scorer.knowledge.learned).toBe(true);
    expect(status.sync.queued).toBe(0);
    expect(status.batchNumber).toBe(1);
    await popup.screenshot({ path: screenshotPath('popup-done.png') });

    // Learned from 20 labels: the badges show the model's numbers and "Why shown?" states them.
    const release = await ext.context.newPage();
    await release.goto(RELEASE);
    const headerSelector = '[data-keepers-badge][data-variant="header"]';
    await release.locator(headerSelector).waitFor({ timeout: 30_000 });
    const headerBadge = await waitForBadge(release, headerSelector);
    expect(headerBadge.learned).toBe('true');
    const shown = headerBadge.prob;
    expect(shown).toMatch(/^\d+% ± \d+$/);
    // The numbers are on the page for the person, not for the page's scripts.
    await expectUnreadableByPage(release, [shown, headerBadge.text]);
    await clickInBadge(release, headerSelector, '[data-keepers-why]');
    const reasons = (await waitForBadge(release, headerSelector, (b) => b.reasons.length > 0)).reasons.map((r) => r.text);
    expect(reasons.length).toBeGreaterThanOrEqual(2);
    expect(reasons.find((r) => r.includes('predicted keep chance'))).toContain(`predicted keep chance ${shown} points`);
    expect(reasons.join('\n')).not.toMatch(/No labels learned yet/);
    await release.screenshot({ path: screenshotPath('release-why-shown.png') });

    // A master-only row is explained on the device, from the row's own metadata, with its badge's numbers.
    await release.goto(FIXTURE_PAGES['artist.html']);
    const masterSelector = '[data-keepers-badge][data-master-id="500001"]';
    await release.locator(masterSelector).waitFor({ timeout: 30_000 });
    const masterBadge = await waitForBadge(release, masterSelector);
    const masterStrategy = masterBadge.strategy;
    const masterShown = masterBadge.prob;
    // A quiet ('none') badge shows its buttons on hover, as a person reaches them (clickInBadge hovers first).
    await clickInBadge(release, masterSelector, '[data-keepers-why]');
    const masterReasons = (await waitForBadge(release, masterSelector, (b) => b.reasons.length > 0)).reasons.map((r) => r.text);
    // A quiet ('none') badge shows the probability alone; the reason adds its ±.
    expect(masterReasons.find((r) => r.includes('predicted keep chance'))).toContain(`predicted keep chance ${masterShown}${masterStrategy === 'none' ? ' ±' : ' points'}`);
    expect(masterReasons.join('\n')).toMatch(/Halcyon Records|Nova Lines|1990s|Afterglow|labelled/);
    await release.close();

    // Paired, "Why shown?" comes from the backend's model (explain.record) for a record seen on a page.
    const why = await message(extPage, 'explainRecord', { releaseId: 1000001, record: { releaseId: 1000001, release: { id: 1000001, title: 'Afterglow', artists: ['Nova Lines'], styles: ['Ambient'] } } });
    expect(why.reasons.length).toBeGreaterThan(0);
    expect(why.reasons.every((r) => r.text.length > 0)).toBe(true);
  });

  test('paired, the options page shows the learner in use and changes it on the backend', async () => {
    const options = await openExtensionPage(ext, 'options.html');
    const current = options.getByTestId('policy-current');
    await current.waitFor({ timeout: 30_000 });
    expect(await current.textContent()).toBe('neural-ts');
    expect(await options.getByTestId('policy').locator('legend').textContent()).toBe('In use: neural-ts (default)');
    const seedLabel = options.locator('label.policy', { has: options.locator('input[value="seed"]') });
    expect(await seedLabel.textContent()).toContain('the original specification: Monte-Carlo dropout with a fixed exploration schedule');
    await options.screenshot({ path: screenshotPath('options-policy.png'), fullPage: true });

    const backendPolicy = async () => {
      const token = await pairingToken(extPage);
      const res = await fetch(`${backend.url}/trpc/bandit.policy`, { headers: { Authorization: `Bearer ${token}` } });
      return ((await res.json()) as { result: { data: { policy: string } } }).result.data.policy;
    };
    await options.locator('input[name="policy"][value="seed"]').check();
    await expect.poll(() => options.getByTestId('options-message').textContent(), { timeout: 30_000 }).toBe(
      'Learner set to seed: the next batches are picked and learned with it.',
    );
    expect(await current.textContent()).toBe('seed');
    expect(await backendPolicy()).toBe('seed');
    // Back to the default for the rest of the suite.
    await options.locator('input[name="policy"][value="neural-ts"]').check();
    await expect.poll(() => backendPolicy(), { timeout: 30_000 }).toBe('neural-ts');
    await expect.poll(() => current.textContent()).toBe('neural-ts');
    await options.close();
  });

  test('labels made offline survive a browser restart and reach the backend exactly once', async () => {
    const versionBefore = await healthModelVersion(backend);
    await backend.pause();
    const page = await ext.context.newPage();
    await page.goto(MARKETPLACE);
    await page.waitForSelector('[data-keepers-badge]');
    const ids = (await badgeIds(page)).slice(0, 2);
    for (const id of ids) {
      await clickInBadge(page, `[data-keepers-badge][data-release-id="${id}"]`, 'button[data-keepers-label-button][data-keeper="true"]');
      await waitForBadge(page, `[data-keepers-badge][data-release-id="${id}"]`, (b) => b.label === 'keeper');
    }
    await page.screenshot({ path: screenshotPath('marketplace-labelled.png') });
    const offline = await message(extPage, 'syncNow');
    expect(offline.queued).toBe(2);
    expect(offline.lastError).toMatch(/unreachable|fetch/i);

    // Restart the browser on the same profile: the queue is in chrome.storage.
    const profile = ext.userDataDir;
    await ext.close({ keepProfile: true });
    ext = await launchWithExtension({ userDataDir: profile });
    await routeDiscogs(ext);
    extPage = await openExtensionPage(ext);
    const restarted = await message(extPage, 'getStatus');
    expect(restarted.sync.queued).toBe(2);
    // The trained weights came back from IndexedDB while the backend is still down.
    expect(restarted.scorer.modelSource).toBe('backend');
    expect(restarted.scorer.modelVersion).toBe(versionBefore);

    // Labelled records are no longer bandit candidates: 'none', with their label.
    const rescored = await message(extPage, 'scoreRecords', {
      records: ids.map((id) => ({ releaseId: id, release: { id, title: `Row ${id}` } })),
      pageUrl: MARKETPLACE,
    });
    expect(rescored.items.map((i) => [i.strategy, i.label])).toEqual([
      ['none', true],
      ['none', true],
    ]);
    // The page, opened again, shows those labels on its badges (pressed keeper buttons).
    const reloaded = await ext.context.newPage();
    await reloaded.goto(MARKETPLACE);
    for (const id of ids) {
      const badge = await waitForBadge(reloaded, `[data-keepers-badge][data-release-id="${id}"]`, (b) => b.label === 'keeper');
      expect(badge.buttons.find((b) => b.keeper === 'true')?.pressed).toBe('true');
      expect(badge.labelState).toBe('✓ Keeper');
    }
    // The collector's labels are shown to the person, not to the page's scripts.
    await expectUnreadableByPage(reloaded, ['✓ Keeper']);
    await reloaded.close();

    await backend.resume();
    const online = await message(extPage, 'syncNow');
    expect(online.lastError).toBeNull();
    expect(online.queued).toBe(0);
    await message(extPage, 'syncNow'); // a second sync sends nothing again

    const token = await pairingToken(extPage);
    // Not in chrome.storage.local, which content scripts can read.
    const local = await extPage.evaluate(() => (globalThis as unknown as { chrome: { storage: { local: { get(k: null): Promise<Record<string, unknown>> } } } }).chrome.storage.local.get(null));
    expect(JSON.stringify(local)).not.toContain(token);
    const res = await fetch(`${backend.url}/trpc/labels.since?input=${encodeURIComponent(JSON.stringify({ cursor: 0 }))}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const labels = ((await res.json()) as { result: { data: { labels: { releaseId: number; keeper: boolean }[] } } }).result.data.labels;
    for (const id of ids) expect(labels.filter((l) => l.releaseId === id)).toEqual([expect.objectContaining({ releaseId: id, keeper: true })]);
  });

  test('a feature switched off in the options disappears from the page, the others stay', async () => {
    const options = await openExtensionPage(ext, 'options.html');
    const toggle = options.locator('input[name="why-shown"]');
    await toggle.waitFor();
    expect(await toggle.isChecked()).toBe(true);
    await toggle.uncheck();
    await expect.poll(async () => (await message(extPage, 'getFeatureToggles'))['why-shown']).toBe(false);

    const page = await ext.context.newPage();
    await page.goto(MARKETPLACE);
    await waitForBadge(page, '[data-keepers-badge]', (b) => b.buttons.length === 2);
    expect((await badgeViews(page)).filter((b) => b.why)).toHaveLength(0);
    await page.close();

    await toggle.check();
    await expect.poll(async () => (await message(extPage, 'getFeatureToggles'))['why-shown']).toBe(true);
    await options.close();
  });

  test('"forget this device" drops the pairing and the downloaded model; the popup then asks to pair', async () => {
    const options = await openExtensionPage(ext, 'options.html');
    options.once('dialog', (dialog) => void dialog.accept());
    await options.getByTestId('forget').click();
    await options.getByTestId('pair-form').waitFor();
    const status = await message(extPage, 'getStatus');
    expect(status.sync.paired).toBe(false);
    expect(status.scorer.modelSource).toBe('untrained');
    expect(status.scorer.knowledge.learned).toBe(false);
    const popup = await openExtensionPage(ext, 'popup.html');
    await popup.getByTestId('not-paired').waitFor();
    await popup.setViewportSize({ width: 400, height: 420 });
    await popup.screenshot({ path: screenshotPath('popup-not-paired.png') });
  });
});
