// The extension in Debian Chromium (Playwright, the built extension in .output/chrome-mv3): scoring
// 1000 records on each tfjs backend the background can use, and a 250-row Discogs marketplace page from
// DOMContentLoaded to its last badge, with the memory the content script adds to the tab.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { BackendPreference, PageRecord } from '../../extension/core/messaging';
import { FIXTURE_DIR } from '../fixtures/discogs-pages/pages';
import { CHROMIUM, EXTENSION_DIR, REPO, launchWithExtension, message, openExtensionPage, type ExtensionBrowser } from '../e2e/helpers';
import { log, summarise, type BenchResult, type Unmeasured } from './lib';

export interface ChromiumInfo {
  version: string;
  renderer: string | null;
  /** The backend the extension picks with its default preference ('auto'), and its reason. */
  chosenBackend: string;
  reason: string;
  accelerators: string[];
  /** When .output/chrome-mv3 was built: the extension measured is that build of the code. */
  extensionBuiltAt: string;
  matMulGflops?: Record<string, number>;
}

const NAMES = ['score1000.chromium.wasm', 'score1000.chromium.webgl', 'score1000.chromium.cpu', 'content.badges250', 'content.badges250.memoryMb'];
const PAGE_URL = 'https://www.discogs.com/sell/list?genre=Electronic&limit=250';
const BASELINE_URL = 'https://keepers-bench.invalid/sell/list?limit=250';

function records(n: number): PageRecord[] {
  const styles = ['Techno', 'Deep House', 'Hard Bop', 'Post-Punk', 'Soul', 'Ambient'];
  return Array.from({ length: n }, (_, i) => ({
    releaseId: 3_000_000 + i,
    release: {
      id: 3_000_000 + i,
      title: `Bench Record ${i}`,
      artists: [`Bench Artist ${i % 131}`],
      labels: [{ name: `Bench Label ${i % 37}`, catno: null }],
      year: 1960 + (i % 60),
      genres: [i % 2 ? 'Electronic' : 'Jazz'],
      styles: [styles[i % styles.length]!],
    },
  }));
}

/** The marketplace fixture with its first row repeated `rows` times (each a different release). */
export function marketplacePage(rows: number): string {
  const html = readFileSync(join(FIXTURE_DIR, 'marketplace-list.html'), 'utf8');
  const start = html.indexOf('<tbody>') + '<tbody>'.length;
  const end = html.indexOf('</tbody>');
  const first = html.slice(start, end).split('</tr>')[0]! + '</tr>';
  const body = Array.from({ length: rows }, (_, i) =>
    first
      .replaceAll('1100000000', String(1_200_000_000 + i))
      .replaceAll('release/1000001', `release/${4_000_000 + i}`)
      .replace('Nova Lines (2) - Afterglow', `Bench Artist ${i % 97} - Record ${i}`),
  ).join('\n');
  return html.slice(0, start) + '\n' + body + '\n' + html.slice(end);
}

/** Sends scoreRecords `runs` times from an extension page and times each round trip there (ms). */
async function timeScoring(page: Page, recs: PageRecord[], runs: number): Promise<{ times: number[]; backend: string }> {
  // A string, not a function: the TypeScript loader would wrap named functions in a helper the page lacks.
  const script = `(async ({ recs, runs }) => {
    const send = (message) => new Promise((resolve, reject) =>
      chrome.runtime.sendMessage(message, (r) => (chrome.runtime.lastError ? reject(new Error(chrome.runtime.lastError.message)) : resolve(r))));
    const times = [];
    let backend = '';
    for (let i = 0; i < runs; i++) {
      const message = { id: Math.floor(Math.random() * 1e9), type: 'scoreRecords', data: { records: recs, pageUrl: 'https://www.discogs.com/sell/list' }, timestamp: Date.now() };
      const t = performance.now();
      const reply = await send(message);
      times.push(performance.now() - t);
      if (reply.err || !reply.res) throw new Error('scoreRecords: ' + (reply.err ? reply.err.message : 'no reply'));
      if (reply.res.items.length !== recs.length) throw new Error('scoreRecords scored ' + reply.res.items.length + ' of ' + recs.length);
      backend = reply.res.backend;
    }
    return { times, backend };
  })(${JSON.stringify({ recs, runs })})`;
  return (await page.evaluate(script)) as { times: number[]; backend: string };
}

/** Records DOMContentLoaded and the moment the page holds `want` badge hosts (a MutationObserver, so no polling delay). */
function badgeClock(want: number): string {
  return `(() => {
    const w = window;
    w.__keepersBench = { dcl: null, badges: null };
    document.addEventListener('DOMContentLoaded', () => { w.__keepersBench.dcl = performance.now(); });
    new MutationObserver((_, obs) => {
      if (document.querySelectorAll('[data-keepers-badge]').length >= ${want}) { w.__keepersBench.badges = performance.now(); obs.disconnect(); }
    }).observe(document, { childList: true, subtree: true });
  })();`;
}

async function heapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('Performance.enable');
    const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
    return (metrics.find((x) => x.name === 'JSHeapUsedSize')?.value ?? NaN) / 2 ** 20;
  } finally {
    await cdp.detach().catch(() => {});
  }
}

async function badgesOnce(ext: ExtensionBrowser, url: string, rows: number): Promise<{ ms: number; heap: number }> {
  const page = await ext.context.newPage();
  try {
    await page.addInitScript(badgeClock(rows));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __keepersBench: { badges: number | null } }).__keepersBench.badges !== null, null, { timeout: 60_000 });
    const clock = await page.evaluate(() => (window as unknown as { __keepersBench: { dcl: number; badges: number } }).__keepersBench);
    return { ms: clock.badges - clock.dcl, heap: await heapMb(page) };
  } finally {
    await page.close();
  }
}

async function baselineHeap(ext: ExtensionBrowser): Promise<number> {
  const page = await ext.context.newPage();
  try {
    await page.goto(BASELINE_URL);
    await page.waitForLoadState('load');
    return await heapMb(page);
  } finally {
    await page.close();
  }
}

export async function benchChromium(opts: { quick: boolean }): Promise<{ results: BenchResult[]; unmeasured: Unmeasured[]; info: ChromiumInfo }> {
  const none: ChromiumInfo = { version: 'absent', renderer: null, chosenBackend: 'none', reason: '', accelerators: [], extensionBuiltAt: '' };
  if (!existsSync(CHROMIUM)) {
    return { results: [], unmeasured: NAMES.map((name) => ({ name, reason: `${CHROMIUM} is missing (apt-get install -y chromium)` })), info: none };
  }
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json'))) {
    console.log('building the extension (npx wxt build) ...');
    execFileSync('npx', ['wxt', 'build'], { cwd: REPO, stdio: 'inherit' });
  }
  const version = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8' }).trim();
  const results: BenchResult[] = [];
  const unmeasured: Unmeasured[] = [];
  const ext = await launchWithExtension();
  try {
    const html = marketplacePage(250);
    await ext.context.route('https://www.discogs.com/**', (route) =>
      new URL(route.request().url()).pathname === '/sell/list' ? route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }) : route.fulfill({ status: 404, body: '' }),
    );
    await ext.context.route('https://keepers-bench.invalid/**', (route) => route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    const extPage = await openExtensionPage(ext);
    const auto = (await message(extPage, 'getStatus')).scorer;
    // The status reports the backend once the scorer started: score once on 'auto' first.
    await timeScoring(extPage, records(10), 1);
    const started = (await message(extPage, 'getStatus')).scorer;
    const info: ChromiumInfo = {
      version,
      renderer: started.renderer ?? auto.renderer,
      chosenBackend: started.backend ?? 'unknown',
      reason: started.reason,
      extensionBuiltAt: statSync(join(EXTENSION_DIR, 'manifest.json')).mtime.toISOString(),
      accelerators: [`Chromium WebGL renderer: ${started.renderer ?? 'none'} (no GPU lent to this session: WebGL is software)`],
    };

    // Page ready → badges, the model already loaded in the background (the first visit loads it).
    const first = await badgesOnce(ext, PAGE_URL, 250);
    const times: number[] = [];
    const heaps: number[] = [];
    for (let i = 0; i < (opts.quick ? 3 : 7); i++) {
      const got = await badgesOnce(ext, PAGE_URL, 250);
      times.push(got.ms);
      heaps.push(got.heap);
    }
    const base = await baselineHeap(ext);
    const heapAdded = heaps.map((h) => h - base);
    results.push(
      summarise('content.badges250', 'ms', times, { target: { op: '<=', value: 100 }, note: 'DOMContentLoaded → 250th badge host on a 250-row marketplace page (content script at document_idle, one scoreRecords to the background), model already loaded' }),
      summarise('content.badges250.first', 'ms', [first.ms], { note: 'variant: the first visit (the background loads tfjs and the model)' }),
      summarise('content.badges250.memoryMb', 'MB', heapAdded, { note: `the tab's JS heap after GC with the badges minus the same page where the content script does not run (${base.toFixed(1)} MB)` }),
      summarise('content.badges250.heapMb', 'MB', heaps, { note: 'variant: the tab\'s whole JS heap after GC' }),
    );
    results.slice(-4).forEach(log);

    const recs = records(1000);
    const runs: Record<string, number> = { wasm: opts.quick ? 5 : 15, webgl: opts.quick ? 2 : 5, cpu: opts.quick ? 2 : 3 };
    for (const pref of ['wasm', 'webgl', 'cpu'] as const satisfies readonly BackendPreference[]) {
      const status = await message(extPage, 'setBackendPreference', { preference: pref });
      if (status.backend !== pref) {
        unmeasured.push({ name: `score1000.chromium.${pref}`, reason: `the extension could not activate ${pref} (active: ${status.backend ?? 'none'}; ${status.reason})` });
        continue;
      }
      await timeScoring(extPage, recs, 1);
      const got = await timeScoring(extPage, recs, runs[pref]!);
      const gpuNote = pref === 'webgl' ? `; WebGL here is ${info.renderer ?? 'unknown'} (software, CPU): no GPU machine was lent to this session, so no number on a real GPU (issue item 4)` : '';
      const r = summarise(`score1000.chromium.${pref}`, 'ms', got.times, {
        note: `scoreRecords of 1000 records from an extension page to the background and back (features, encoder once, 30 MC passes), ${got.backend}${gpuNote}`,
      });
      log(r);
      results.push(r);
    }
    await message(extPage, 'setBackendPreference', { preference: 'auto' });
    return { results, unmeasured, info };
  } finally {
    await ext.close();
  }
}
