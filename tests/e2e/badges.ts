// Reads and clicks the overlay's badges from the test's side. The badges draw in CLOSED shadow roots and
// keep their score and label out of the page DOM, so neither a page script nor Playwright's locators
// (which do not pierce closed roots) can see inside. The suite goes through the DevTools protocol,
// which can: DOM.getDocument with `pierce: true` lists closed shadow roots, DOM.resolveNode hands one
// to Runtime.callFunctionOn. A page script has no such access.
import type { CDPSession, Page } from 'playwright-core';

/** One badge as the collector sees it, plus the score it keeps inside its closed root. */
export interface BadgeView {
  /** The shadow root's mode as the protocol reports it ('closed'). */
  mode: string;
  releaseId: string | null;
  masterId: string | null;
  variant: string | null;
  /** Kept inside the closed root, on the badge's box. */
  strategy: string | null;
  learned: string | null;
  mean: number;
  uncertainty: number;
  label: string | null;
  /** The visible box's text, whitespace collapsed. */
  text: string;
  prob: string;
  labelState: string;
  title: string | null;
  buttons: Array<{ keeper: string | null; pressed: string | null }>;
  why: boolean;
  /** The "Why shown?" popover's reasons, once loaded (empty while closed or loading). */
  reasons: Array<{ kind: string | null; text: string }>;
}

interface CdpNode {
  nodeName: string;
  backendNodeId: number;
  attributes?: string[];
  children?: CdpNode[];
  shadowRoots?: Array<CdpNode & { shadowRootType?: string }>;
  contentDocument?: CdpNode;
}

interface Found {
  shadow: number;
  mode: string;
}

async function withCdp<T>(page: Page, fn: (cdp: CDPSession) => Promise<T>): Promise<T> {
  const cdp = await page.context().newCDPSession(page);
  try {
    return await fn(cdp);
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/** Every badge host's shadow root, in document order (the page's own shadow trees searched too). */
async function findBadgeRoots(cdp: CDPSession): Promise<Found[]> {
  const { root } = (await cdp.send('DOM.getDocument', { depth: -1, pierce: true })) as { root: CdpNode };
  const found: Found[] = [];
  const walk = (node: CdpNode): void => {
    const attrs = node.attributes ?? [];
    const isHost = attrs.some((a, i) => i % 2 === 0 && a === 'data-keepers-badge');
    if (isHost && node.shadowRoots?.[0]) found.push({ shadow: node.shadowRoots[0].backendNodeId, mode: node.shadowRoots[0].shadowRootType ?? '' });
    for (const s of node.shadowRoots ?? []) walk(s);
    for (const c of node.children ?? []) walk(c);
  };
  walk(root);
  return found;
}

/** Calls `fn` with `this` bound to each badge's (closed) shadow root whose host matches `hostSelector`. */
async function inBadges<T>(page: Page, hostSelector: string, fn: string, arg: unknown = null): Promise<Array<{ mode: string; value: T }>> {
  return withCdp(page, async (cdp) => {
    const out: Array<{ mode: string; value: T }> = [];
    for (const { shadow, mode } of await findBadgeRoots(cdp)) {
      const { object } = (await cdp.send('DOM.resolveNode', { backendNodeId: shadow })) as { object: { objectId?: string } };
      if (!object.objectId) continue;
      const { result, exceptionDetails } = (await cdp.send('Runtime.callFunctionOn', {
        objectId: object.objectId,
        functionDeclaration: `function (selector, arg) { if (!this.host.matches(selector)) return { skip: true }; return { value: (${fn}).call(this, arg) }; }`,
        arguments: [{ value: hostSelector }, { value: arg }],
        returnByValue: true,
        awaitPromise: true,
      })) as { result: { value?: { skip?: boolean; value?: T } }; exceptionDetails?: { text?: string; exception?: { description?: string } } };
      await cdp.send('Runtime.releaseObject', { objectId: object.objectId }).catch(() => {});
      if (exceptionDetails) throw new Error(`in a badge: ${exceptionDetails.exception?.description ?? exceptionDetails.text ?? 'error'}`);
      if (result.value && !result.value.skip) out.push({ mode, value: result.value.value as T });
    }
    return out;
  });
}

const READ = `function () {
  const host = this.host;
  const box = this.querySelector('.badge');
  const text = (sel) => (this.querySelector(sel) ? this.querySelector(sel).textContent : '');
  const popover = this.querySelector('[role="dialog"]');
  return {
    releaseId: host.getAttribute('data-release-id'),
    masterId: host.getAttribute('data-master-id'),
    variant: host.getAttribute('data-variant'),
    strategy: box && box.getAttribute('data-strategy'),
    learned: box && box.getAttribute('data-learned'),
    mean: Number(box && box.getAttribute('data-mean')),
    uncertainty: Number(box && box.getAttribute('data-uncertainty')),
    label: box && box.getAttribute('data-keepers-label'),
    text: ((box && box.textContent) || '').replace(/\\s+/g, ' ').trim(),
    prob: text('.prob'),
    labelState: text('.label-state'),
    title: box && box.getAttribute('title'),
    buttons: Array.from(this.querySelectorAll('button[data-keepers-label-button]')).map((b) => ({ keeper: b.getAttribute('data-keeper'), pressed: b.getAttribute('aria-pressed') })),
    why: this.querySelector('[data-keepers-why]') !== null,
    reasons: popover && !popover.hidden ? Array.from(popover.querySelectorAll('li')).map((li) => ({ kind: li.getAttribute('data-kind'), text: li.textContent })) : [],
  };
}`;

/** The badges whose hosts match `hostSelector` (e.g. '#profile_title [data-keepers-badge]'), in document order. */
export async function badgeViews(page: Page, hostSelector = '[data-keepers-badge]'): Promise<BadgeView[]> {
  return (await inBadges<Omit<BadgeView, 'mode'>>(page, hostSelector, READ)).map(({ mode, value }) => ({ mode, ...value }));
}

/** Waits for the first badge matching `hostSelector` to satisfy `accept`, and returns it. */
export async function waitForBadge(
  page: Page,
  hostSelector: string,
  accept: (badge: BadgeView) => boolean = () => true,
  timeoutMs = 30_000,
): Promise<BadgeView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const badge = (await badgeViews(page, hostSelector)).find(accept);
    if (badge) return badge;
    if (Date.now() > deadline) throw new Error(`no badge ${hostSelector} in the wanted state after ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}

/**
 * Clicks `innerSelector` inside the first badge matching `hostSelector` with the mouse, as the user
 * does (a trusted click; `element.click()` would be ignored by the label buttons). The pointer rests
 * on the badge first, so a quiet badge's hover-only controls are shown.
 */
export async function clickInBadge(page: Page, hostSelector: string, innerSelector: string): Promise<void> {
  const host = page.locator(hostSelector).first();
  await host.scrollIntoViewIfNeeded();
  const hostBox = await host.boundingBox();
  if (!hostBox) throw new Error(`badge ${hostSelector} is not visible`);
  await page.mouse.move(hostBox.x + 3, hostBox.y + hostBox.height / 2);
  const [point] = await inBadges<{ x: number; y: number } | null>(
    page,
    hostSelector,
    `function (sel) {
      const el = this.querySelector(sel);
      if (!el) return null;
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 ? { x: r.x + r.width / 2, y: r.y + r.height / 2 } : null;
    }`,
    innerSelector,
  );
  if (!point?.value) throw new Error(`no visible ${innerSelector} in badge ${hostSelector}`);
  await page.mouse.click(point.value.x, point.value.y);
}
