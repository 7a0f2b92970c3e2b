// Extractors: turn a Discogs page into the records it shows (PageRecord) and where each one sits.
// Ids come from links first, then from JSON-LD (script#release_schema), then from the DOM.
import type { PageRecord } from '../core/messaging';
import { recordKey, type RecordKey } from '../core/recordKey';
import { cleanArtistName, normText, parseCount, parseDecimal, parseFormats, releasedFrom, splitListingTitle, yearFrom } from './parse';
import {
  GENERIC_ROW, HIDDEN, ITEM_PAGE, MARKETPLACE, NON_CONTENT, PAGE_TEXT, RECORD_LINK, RELEASE_PAGE, ROW_FIELDS, ROW_SOURCES, type RowSource,
} from './selectors';
import { detectPage, parseRecordLink, type PageInfo, type RecordLink } from './urls';

export type PartialRelease = PageRecord['release'];

/** Where a badge for a record goes: relative to `element`, as in Element.insertAdjacentElement. */
export interface Placement {
  element: Element;
  position: 'afterend' | 'beforeend';
}

export interface RecordTarget {
  kind: 'row' | 'header';
  /** 'r:<release id>', or 'm:<master id>' for a master-only row. */
  key: RecordKey;
  /** The row element (one per visible record row) or the page heading. */
  element: Element;
  record: PageRecord;
  placement: Placement;
}

export interface ExtractOptions {
  /**
   * Rows (element + record key) the caller has already handled: their metadata is not read again,
   * only their id is reported (so a re-run after every DOM change stays cheap on long pages).
   */
  isKnown?: (element: Element, key: RecordKey) => boolean;
}

export interface PageExtraction {
  page: PageInfo;
  header: RecordTarget | null;
  rows: RecordTarget[];
}

/** Marks elements the extension itself added, so extractors and observers skip them. */
export const KEEPERS_ATTRIBUTE = 'data-keepers';

function isHidden(el: Element): boolean {
  return el.closest(HIDDEN) !== null;
}

function isOurs(el: Element): boolean {
  return el.closest(`[${KEEPERS_ATTRIBUTE}]`) !== null;
}

function linkRecord(a: Element, baseUrl: string): RecordLink | null {
  const href = a.getAttribute('href');
  return href ? parseRecordLink(href, baseUrl) : null;
}

function texts(root: ParentNode, selector: string): string[] {
  const out: string[] = [];
  for (const el of Array.from(root.querySelectorAll(selector))) {
    const t = normText(el.textContent);
    if (t && !out.includes(t)) out.push(t);
  }
  return out;
}

function firstText(root: ParentNode, selector: string): string | null {
  const el = root.querySelector(selector);
  const t = el ? normText(el.textContent) : '';
  return t || null;
}

function withoutEmpty(release: PartialRelease): PartialRelease {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(release)) {
    if (value === null || value === undefined || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out as PartialRelease;
}

// ---------------------------------------------------------------------------------------------
// JSON-LD (release pages)

interface JsonLdRelease {
  id: number | null;
  release: Omit<PartialRelease, 'id'>;
}

function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value === undefined || value === null ? [] : [value];
}

function nameOf(value: unknown): string | null {
  if (typeof value === 'string') return normText(value) || null;
  if (value && typeof value === 'object' && 'name' in value && typeof value.name === 'string') return normText(value.name) || null;
  return null;
}

function numberOf(value: unknown): number | null {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

/** Reads Discogs' script#release_schema; null when absent or not valid JSON (the DOM still serves). */
export function readReleaseSchema(doc: Document, baseUrl: string): JsonLdRelease | null {
  const script = doc.querySelector(RELEASE_PAGE.schema);
  if (!script?.textContent) return null;
  let data: unknown;
  try {
    data = JSON.parse(script.textContent);
  } catch {
    return null;
  }
  if (!data || typeof data !== 'object') return null;
  const obj = data as Record<string, unknown>;
  const releaseOf = (obj.releaseOf ?? {}) as Record<string, unknown>;
  const idUrl = typeof obj['@id'] === 'string' ? obj['@id'] : typeof obj.url === 'string' ? obj.url : null;
  const link = idUrl ? parseRecordLink(idUrl, baseUrl) : null;
  const artists = asArray(releaseOf.byArtist ?? obj.byArtist).map(nameOf).filter((n): n is string => n !== null).map(cleanArtistName);
  const catno = typeof obj.catalogNumber === 'string' ? normText(obj.catalogNumber) || null : null;
  const labels = asArray(obj.recordLabel)
    .map(nameOf)
    .filter((n): n is string => n !== null)
    .map((name, i) => ({ name, catno: i === 0 ? catno : null }));
  const rating = (obj.aggregateRating ?? {}) as Record<string, unknown>;
  const offers = (obj.offers ?? {}) as Record<string, unknown>;
  return {
    id: link?.type === 'release' ? link.id : null,
    release: {
      title: nameOf(obj.name) ?? undefined,
      artists,
      labels,
      year: yearFrom(obj.datePublished ?? releaseOf.datePublished),
      released: releasedFrom(obj.datePublished),
      community: {
        have: null,
        want: null,
        rating: numberOf(rating.ratingValue),
        ratingCount: numberOf(rating.ratingCount),
      },
      lowestPrice: numberOf(offers.lowPrice),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Page headers

/** The badge target of a page's own record: in its heading, at the end. */
function headerTarget(heading: Element, record: PageRecord): RecordTarget {
  return { kind: 'header', key: recordKey(record), element: heading, record, placement: { element: heading, position: 'beforeend' } };
}

/** The artists a release or master heading links to, without Discogs' " (2)" suffixes. */
function headingArtists(heading: Element): string[] {
  return texts(heading, RELEASE_PAGE.headingArtistLinks).map(cleanArtistName);
}

function releasePageHeader(doc: Document, page: PageInfo, baseUrl: string): RecordTarget | null {
  const heading = doc.querySelector(RELEASE_PAGE.heading);
  const schema = readReleaseSchema(doc, baseUrl);
  const canonical = doc.querySelector(RELEASE_PAGE.canonical)?.getAttribute('href');
  const canonicalLink = canonical ? parseRecordLink(canonical, baseUrl) : null;
  const id = page.releaseId ?? schema?.id ?? (canonicalLink?.type === 'release' ? canonicalLink.id : null);
  if (!heading || id === null) return null;

  const info = doc.querySelector(RELEASE_PAGE.info);
  const stats = Array.from(doc.querySelectorAll(RELEASE_PAGE.stats));
  const have = parseCount(stats[0]?.querySelector(RELEASE_PAGE.statsCount)?.textContent ?? stats[0]?.textContent);
  const want = parseCount(stats[1]?.querySelector(RELEASE_PAGE.statsCount)?.textContent ?? stats[1]?.textContent);
  const fromSchema = schema?.release ?? {};
  const domArtists = headingArtists(heading);
  const release: PartialRelease = {
    id,
    ...fromSchema,
    artists: fromSchema.artists?.length ? fromSchema.artists : domArtists,
    genres: info ? texts(info, RELEASE_PAGE.genreLinks) : [],
    styles: info ? texts(info, RELEASE_PAGE.styleLinks) : [],
    // Only the format name is a link ("Vinyl, LP, Album"): parse the whole cell around it.
    formats: parseFormats(normText(info?.querySelector(RELEASE_PAGE.formatLinks)?.parentElement?.textContent)),
    country: info ? firstText(info, RELEASE_PAGE.countryLinks) : null,
    community: {
      have,
      want,
      rating: fromSchema.community?.rating ?? null,
      ratingCount: fromSchema.community?.ratingCount ?? null,
    },
  };
  if (!release.title) {
    // Without JSON-LD the heading reads "Artist – Title": the title is what is not an artist link.
    const headingText = normText(heading.textContent);
    release.title = normText(headingText.split(PAGE_TEXT.dashSeparator).slice(1).join(' - ')) || headingText;
  }
  return headerTarget(heading, { releaseId: id, masterId: null, release: withoutEmpty(release) });
}

/** The 2021 server-rendered profile block: `.head` "Genre:" followed by `.content` (English labels only). */
function profileFields(doc: Document): Map<string, string> {
  const fields = new Map<string, string>();
  for (const head of Array.from(doc.querySelectorAll(ITEM_PAGE.profileHeads))) {
    const key = normText(head.textContent).replace(PAGE_TEXT.fieldNameEnd, '').toLowerCase();
    const content = head.nextElementSibling;
    if (key && content) fields.set(key, normText(content.textContent));
  }
  return fields;
}

function marketplaceItemHeader(doc: Document, page: PageInfo, baseUrl: string): RecordTarget | null {
  const heading = doc.querySelector(ITEM_PAGE.heading);
  let id = page.kind === 'marketplace-release' ? page.releaseId : null;
  if (id === null) {
    for (const a of Array.from(doc.querySelectorAll(ITEM_PAGE.releasePageLink))) {
      const link = linkRecord(a, baseUrl);
      if (link?.type === 'release' && !isOurs(a)) {
        id = link.id;
        break;
      }
    }
  }
  if (!heading || id === null) return null;
  const fields = profileFields(doc);
  const field = PAGE_TEXT.itemFields;
  const list = (name: string): string[] => (fields.get(name) ?? '').split(PAGE_TEXT.listSeparator).map(normText).filter(Boolean);
  const artists = texts(heading, ITEM_PAGE.artistLinks).map(cleanArtistName);
  const spans = Array.from(heading.querySelectorAll(ITEM_PAGE.headingParts));
  const title = spans.length >= 2 ? normText(spans[spans.length - 1]?.textContent) : null;
  const labelNames = texts(doc, ITEM_PAGE.labelLinks);
  const labelText = fields.get(field.label) ?? '';
  const catno = normText(labelText.split(PAGE_TEXT.dashSeparator)[1] ?? '') || null;
  const summary = normText(doc.querySelector(ITEM_PAGE.ratingSummary)?.textContent);
  const counts = PAGE_TEXT.haveWant.exec(summary);
  const rating = PAGE_TEXT.ratedOfVotes.exec(summary);
  const release: PartialRelease = {
    id,
    title: title ?? undefined,
    artists,
    labels: labelNames.map((name, i) => ({ name, catno: i === 0 ? catno : null })),
    formats: fields.has(field.format) ? parseFormats(fields.get(field.format) ?? '') : [],
    country: fields.get(field.country) ?? null,
    year: yearFrom(fields.get(field.released)),
    genres: list(field.genre),
    styles: list(field.style),
    community: {
      have: parseCount(counts?.[1]),
      want: parseCount(counts?.[2]),
      rating: parseDecimal(rating?.[1]),
      ratingCount: parseCount(rating?.[2]),
    },
  };
  return headerTarget(heading, { releaseId: id, masterId: null, release: withoutEmpty(release) });
}

/**
 * A master has no release id of its own; its header badge stands for the first version Discogs lists
 * (the versions table is sorted with the main release first by default), carrying the master id.
 */
function masterPageHeader(doc: Document, page: PageInfo, rows: RecordTarget[]): RecordTarget | null {
  const heading = doc.querySelector(RELEASE_PAGE.heading);
  const first = rows[0];
  if (!heading || !first) return null;
  const artists = headingArtists(heading);
  const release = { ...first.record.release };
  if (artists.length > 0) release.artists = artists;
  return headerTarget(heading, { releaseId: first.record.releaseId, masterId: page.masterId, release });
}

// ---------------------------------------------------------------------------------------------
// Rows

function marketplaceRowRelease(row: Element, id: number | null): PartialRelease {
  const listing = splitListingTitle(row.querySelector(MARKETPLACE.title)?.textContent ?? '');
  const label = firstText(row, MARKETPLACE.label);
  const price = row.querySelector(MARKETPLACE.price)?.getAttribute(MARKETPLACE.priceValueAttribute);
  return withoutEmpty({
    id: id ?? undefined,
    title: listing.title || undefined,
    artists: listing.artist ? [cleanArtistName(listing.artist)] : [],
    labels: label ? [{ name: label, catno: firstText(row, MARKETPLACE.catno) }] : [],
    formats: listing.format ? parseFormats(listing.format) : [],
    community: {
      have: parseCount(row.querySelector(MARKETPLACE.have)?.textContent),
      want: parseCount(row.querySelector(MARKETPLACE.want)?.textContent),
      rating: parseDecimal(row.querySelector(MARKETPLACE.rating)?.textContent),
      ratingCount: null,
    },
    lowestPrice: price !== null && price !== undefined && price !== '' && Number.isFinite(Number(price)) ? Number(price) : null,
  });
}

function genericRowRelease(row: Element, id: number | null, titleLink: Element | null): PartialRelease {
  const artists = texts(row, ROW_FIELDS.artistLinks).map(cleanArtistName);
  const labelNames = texts(row, ROW_FIELDS.labelLinks);
  const catno = firstText(row, ROW_FIELDS.catno);
  const format = firstText(row, ROW_FIELDS.format);
  return withoutEmpty({
    id: id ?? undefined,
    title: normText(titleLink?.textContent) || undefined,
    artists,
    labels: labelNames.map((name, i) => ({ name, catno: i === 0 ? catno : null })),
    year: yearFrom(firstText(row, ROW_FIELDS.year)),
    formats: format ? parseFormats(format) : [],
  });
}

/**
 * The release links of one row, one per release id, in document order, with the row's master id and
 * its title link to the master (the one with the most text: cover links have none).
 */
function rowLinks(row: Element, baseUrl: string): { releases: Map<number, Element>; masterId: number | null; masterLink: Element | null } {
  const releases = new Map<number, Element>();
  let masterId: number | null = null;
  let masterLink: Element | null = null;
  const longer = (a: Element, b: Element | null | undefined): boolean => !b || normText(a.textContent).length > normText(b.textContent).length;
  for (const a of Array.from(row.querySelectorAll(RECORD_LINK))) {
    if (isOurs(a)) continue;
    const link = linkRecord(a, baseUrl);
    if (link?.type === 'release') {
      if (longer(a, releases.get(link.id))) releases.set(link.id, a);
    } else if (link?.type === 'master' && (masterId === null || masterId === link.id)) {
      masterId = link.id;
      if (longer(a, masterLink)) masterLink = a;
    }
  }
  return { releases, masterId, masterLink };
}

/**
 * Pages whose rows may stand for a master alone (discographies and search list masters with no
 * version). Elsewhere a master link is navigation ("all versions" on a release page), not a row.
 */
const MASTER_ROW_PAGES: ReadonlySet<PageInfo['kind']> = new Set(['artist', 'label', 'search']);

function rowPlacement(row: Element, source: RowSource | null, link: Element): Placement {
  const after = source?.after ? row.querySelector(source.after) : null;
  const slot = source?.slot ? row.querySelector(source.slot) : null;
  if (after) return { element: after, position: 'afterend' };
  if (slot) return { element: slot, position: 'beforeend' };
  return link === row ? { element: row, position: 'beforeend' } : { element: link, position: 'afterend' };
}

function rowTargets(
  row: Element, source: RowSource | null, page: PageInfo, baseUrl: string, skipId: number | null, options: ExtractOptions,
): RecordTarget[] {
  const { releases, masterId, masterLink } = rowLinks(row, baseUrl);
  const isMarketplace = row.matches(MARKETPLACE.row);
  // Ids from links first; a marketplace row without its release link may still carry data-release-id.
  if (releases.size === 0) {
    const dataId = Number(row.getAttribute(MARKETPLACE.rowReleaseIdAttribute));
    if (Number.isSafeInteger(dataId) && dataId > 0) releases.set(dataId, row);
  }
  const targets: RecordTarget[] = [];
  const target = (releaseId: number | null, link: Element): RecordTarget => {
    const key = recordKey({ releaseId, masterId });
    if (options.isKnown?.(row, key)) {
      const record: PageRecord = { releaseId, masterId, release: releaseId === null ? {} : { id: releaseId } };
      return { kind: 'row', key, element: row, record, placement: { element: row, position: 'beforeend' } };
    }
    const titleLink = (source?.title ? row.querySelector(source.title) : null) ?? link;
    const release = isMarketplace ? marketplaceRowRelease(row, releaseId) : genericRowRelease(row, releaseId, titleLink);
    return { kind: 'row', key, element: row, record: { releaseId, masterId, release }, placement: rowPlacement(row, source, link) };
  };
  for (const [id, link] of releases) {
    if (id === skipId && page.kind !== 'marketplace-release') continue;
    targets.push(target(id, link));
  }
  // A row that links to a master and to no release is the master itself: scored from what the row shows.
  if (releases.size === 0 && masterLink && masterId !== page.masterId && MASTER_ROW_PAGES.has(page.kind)) {
    targets.push(target(null, masterLink));
  }
  return targets;
}

/** True when `el` is one of `set` or inside one (walks up: pages have thousands of rows, few levels). */
function insideAny(el: Element, set: Set<Element>): boolean {
  for (let node: Element | null = el; node; node = node.parentElement) {
    if (set.has(node)) return true;
  }
  return false;
}

function extractRows(doc: Document, page: PageInfo, baseUrl: string, skipId: number | null, options: ExtractOptions): RecordTarget[] {
  const rows: RecordTarget[] = [];
  const claimed = new Set<Element>();
  const usable = (el: Element): boolean => !isHidden(el) && !isOurs(el) && el.closest(NON_CONTENT) === null;

  for (const source of ROW_SOURCES[page.kind] ?? []) {
    for (const row of Array.from(doc.querySelectorAll(source.row))) {
      if (claimed.has(row) || !usable(row)) continue;
      // Nested matches (a row inside a row) belong to the outer row already claimed.
      if (insideAny(row, claimed)) continue;
      const found = rowTargets(row, source, page, baseUrl, skipId, options);
      if (found.length > 0) {
        claimed.add(row);
        rows.push(...found);
      }
    }
  }

  // Any other visible link to a release is a row too (search cards, recommendations, layouts that moved),
  // and so is a row or card around a master link on pages that list masters.
  const fallbackRows = new Set<Element>();
  for (const a of Array.from(doc.querySelectorAll(RECORD_LINK))) {
    if (insideAny(a, claimed) || !usable(a)) continue;
    const link = linkRecord(a, baseUrl);
    if (link?.type === 'release') {
      if (link.id === skipId) continue;
      const row = a.closest(GENERIC_ROW) ?? a;
      if (row.tagName === 'BODY' || row.tagName === 'HTML') continue;
      fallbackRows.add(row);
    } else if (link?.type === 'master' && link.id !== page.masterId && MASTER_ROW_PAGES.has(page.kind)) {
      // A bare master link outside any row or card is navigation, not a record.
      const row = a.closest(GENERIC_ROW);
      if (row) fallbackRows.add(row);
    }
  }
  for (const row of fallbackRows) {
    if (row.parentElement && insideAny(row.parentElement, fallbackRows)) continue;
    rows.push(...rowTargets(row, null, page, baseUrl, skipId, options));
  }
  return rows;
}

/**
 * Everything Keepers can badge on a page: the page's own record (release, master and marketplace item
 * pages) and one target per visible record row (per release id within a row).
 */
export function extractPage(doc: Document, url: string, options: ExtractOptions = {}): PageExtraction {
  const page = detectPage(url);
  const baseUrl = url;
  let header: RecordTarget | null = null;
  if (page.kind === 'release') header = releasePageHeader(doc, page, baseUrl);
  else if (page.kind === 'marketplace-item' || page.kind === 'marketplace-release') header = marketplaceItemHeader(doc, page, baseUrl);

  const skipId = header?.record.releaseId ?? page.releaseId;
  const rows = extractRows(doc, page, baseUrl, skipId, options);
  if (page.kind === 'artist') {
    // Discography rows name no artist (except appearances, which link theirs): the page's artist is theirs.
    const name = cleanArtistName(normText(doc.querySelector(RELEASE_PAGE.heading)?.textContent));
    for (const row of rows) {
      if (!row.record.release.artists?.length && name) row.record.release.artists = [name];
    }
  }
  if (page.kind === 'master') {
    // Version rows show no artist and no master link: both are the page's.
    const heading = doc.querySelector(RELEASE_PAGE.heading);
    const artists = heading ? headingArtists(heading) : [];
    for (const row of rows) {
      row.record.masterId ??= page.masterId;
      if (!row.record.release.artists?.length && artists.length > 0) row.record.release.artists = artists;
    }
    // The header needs the first version's metadata even when that row was handled before.
    const first = rows[0];
    const firstFull =
      first && options.isKnown?.(first.element, first.key)
        ? rowTargets(first.element, ROW_SOURCES.master?.[0] ?? null, page, baseUrl, skipId, {}).find((t) => t.key === first.key)
        : first;
    header = masterPageHeader(doc, page, firstFull ? [firstFull] : []);
  }
  return { page, header, rows };
}

