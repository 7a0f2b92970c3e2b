// Discogs URL knowledge: which page a URL is and which record a link points to.
// The only place that knows Discogs' URL shapes: `/release/{id}` and `/master/{id}`, optionally after a
// locale prefix (`/de/`, `/pt_BR/`); today the slug follows the id (`/release/123-Artist-Title`), older
// pages put it before (`/Artist-Title/release/123`); `/sell/release/{id}` and `/sell/item/{id}` are
// marketplace pages, not release pages.

/** The kinds of Discogs page the content script knows; every one but 'other' has a fixture page in tests/fixtures/discogs-pages. */
export const PAGE_KINDS = [
  'release',
  'master',
  'artist',
  'label',
  'search',
  /** /sell/list, /sell/mywants, /seller/{name}/...: server-rendered listing tables. */
  'marketplace-list',
  /** /sell/release/{id}: the copies for sale of one release. */
  'marketplace-release',
  /** /sell/item/{id}: one listing of one release. */
  'marketplace-item',
  'wantlist',
  'collection',
  'other',
] as const;

export type PageKind = (typeof PAGE_KINDS)[number];

export interface PageInfo {
  kind: PageKind;
  /** Locale prefix without slashes ('de', 'pt_BR'), null for the default English site. */
  locale: string | null;
  /** Path after the locale prefix, always starting with '/'. */
  path: string;
  releaseId: number | null;
  masterId: number | null;
  listingId: number | null;
}

export interface RecordLink {
  type: 'release' | 'master';
  id: number;
}

/** Locale prefixes Discogs serves its site under (https://www.discogs.com/de/...). */
export const DISCOGS_LOCALES: readonly string[] = ['de', 'es', 'fr', 'it', 'ja', 'ko', 'pt_BR', 'ru', 'zh', 'zh_CN', 'zh_TW'];

const DISCOGS_HOSTS = new Set(['www.discogs.com', 'discogs.com']);

/**
 * First path segments that are Discogs sections, never an old-style "Artist-Title" slug: without this
 * list `/sell/release/123` (a marketplace page) would read as a link to release 123.
 */
const SECTION_SEGMENTS = new Set([
  'sell', 'seller', 'buy', 'user', 'users', 'lists', 'list', 'search', 'label', 'artist', 'master', 'release',
  'history', 'mywantlist', 'wantlist', 'collection', 'settings', 'forum', 'group', 'genre', 'style', 'my',
  'marketplace', 'help', 'company',
]);

function toUrl(href: string, base?: string): URL | null {
  try {
    return new URL(href, base ?? 'https://www.discogs.com/');
  } catch {
    return null;
  }
}

/** Splits a Discogs path into its locale prefix and the rest. */
export function splitLocale(pathname: string): { locale: string | null; path: string } {
  const match = /^\/([a-z]{2}(?:_[A-Z]{2})?)(\/.*)?$/.exec(pathname);
  if (match && match[1] && DISCOGS_LOCALES.includes(match[1])) {
    return { locale: match[1], path: match[2] ?? '/' };
  }
  return { locale: null, path: pathname };
}

function positiveInt(text: string | undefined): number | null {
  if (!text) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * The release or master a path points to: `/release/123`, `/release/123-Slug`, `/release/123-Slug/images`,
 * the older `/Artist-Title/release/123`, and `/master/view/123`; null for everything else
 * (`/sell/release/123`, `/sell/item/123`, `/release/add`, `/release/stats/123`, ...).
 */
export function recordFromPath(path: string): RecordLink | null {
  const segments = path.split('/').filter((s) => s.length > 0);
  const [first, second, third] = segments;
  if (first === 'release' || first === 'master') {
    const idText = first === 'master' && second === 'view' ? third : /^(\d+)(?:-.*)?$/.exec(second ?? '')?.[1];
    const id = positiveInt(idText);
    return id === null ? null : { type: first, id };
  }
  // Old slug position: /{Artist-Title}/release/{id}
  if (first && !SECTION_SEGMENTS.has(first.toLowerCase()) && (second === 'release' || second === 'master')) {
    const id = positiveInt(/^(\d+)$/.exec(third ?? '')?.[1]);
    return id === null ? null : { type: second, id };
  }
  return null;
}

/** The record an `a[href]` points to, or null when it is not a Discogs release/master page link. */
export function parseRecordLink(href: string, base?: string): RecordLink | null {
  const url = toUrl(href, base);
  if (!url || !DISCOGS_HOSTS.has(url.hostname)) return null;
  return recordFromPath(splitLocale(url.pathname).path);
}

/** What kind of Discogs page a URL is, with the ids its path carries. */
export function detectPage(href: string): PageInfo {
  const url = toUrl(href);
  const { locale, path } = url ? splitLocale(url.pathname) : { locale: null, path: '/' };
  const info: PageInfo = { kind: 'other', locale, path, releaseId: null, masterId: null, listingId: null };
  if (!url || !DISCOGS_HOSTS.has(url.hostname)) return info;

  const segments = path.split('/').filter((s) => s.length > 0);
  const [first, second] = segments;
  const record = recordFromPath(path);
  if (record?.type === 'release') return { ...info, kind: 'release', releaseId: record.id };
  if (record?.type === 'master') return { ...info, kind: 'master', masterId: record.id };

  if (first === 'sell') {
    if (second === 'release') return { ...info, kind: 'marketplace-release', releaseId: positiveInt(/^(\d+)/.exec(segments[2] ?? '')?.[1]) };
    if (second === 'item') return { ...info, kind: 'marketplace-item', listingId: positiveInt(/^(\d+)/.exec(segments[2] ?? '')?.[1]) };
    if (second === 'list' || second === 'mywants') return { ...info, kind: 'marketplace-list' };
  }
  if (first === 'seller') return { ...info, kind: 'marketplace-list' };
  if (first === 'artist') return { ...info, kind: 'artist' };
  if (first === 'label') return { ...info, kind: 'label' };
  if (first === 'search') return { ...info, kind: 'search' };
  if (first === 'mywantlist' || first === 'wantlist' || (first === 'user' && segments[2] === 'wantlist')) {
    return { ...info, kind: 'wantlist' };
  }
  if (first === 'collection' || (first === 'user' && segments[2] === 'collection')) {
    return { ...info, kind: 'collection' };
  }
  return info;
}
