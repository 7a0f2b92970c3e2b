// Every CSS selector and every text pattern the extension reads Discogs pages with, in one place.
// Discogs' React pages use hashed CSS-module class names: match the stable prefix ([class*="info_"]).
// A Discogs redesign should cost a change here plus a fixture refresh (tests/fixtures/discogs-pages),
// nothing more. Ids come from links first (urls.ts), then from structured data, then from the DOM.
// Where each page keeps its data, as far as public parsers of 2021–2026 tell (no page was checked live):
// - release: JSON-LD in script#release_schema (title, artists, labels, catno, date, rating, price);
//   genre / style / format / country as links in the info table (its labels are localised: match the
//   links); have / want in #release-stats; other versions and Discogs' recommendations as rows.
// - master: the versions table, main release first. Artist, label: discography tables (lazy, paged,
//   filterable). Wantlist, collection, search: React rows and cards, older tables as a fallback.
// - marketplace (/sell/list, /seller/*, /sell/mywants, /sell/release/{id}, /sell/item/{id}): the
//   server-rendered pages of 2020–21, listing rows in table.mpitems and, on an item page, a profile block
//   of "Label:" / "Format:" … fields, whose English names and summary sentences are PAGE_TEXT below.
import type { PageKind } from './urls';

/** Any link that may point to a release or master page; urls.ts decides whether it really does. */
export const RECORD_LINK = 'a[href*="/release/"], a[href*="/master/"]';

/** Parts of the page that are never record rows (site header, footer, navigation). */
export const NON_CONTENT = 'header, footer, nav, #site_header, #site_footer, [id^="__header_root_"], [role="navigation"]';

/** Elements that hide their content from the reader. */
export const HIDDEN = '[hidden], [aria-hidden="true"], template';

/** Containers a record link's row is found in, nearest first, when no page-specific row matches. */
export const GENERIC_ROW = 'tr, li, [role="row"], article, [class*="card_"], [class*="Card_"]';

export const RELEASE_PAGE = {
  schema: 'script#release_schema[type="application/ld+json"]',
  /** Also the heading of master and artist pages. */
  heading: 'h1',
  /** The artists named in a release or master heading. */
  headingArtistLinks: 'a[href*="/artist/"]',
  info: 'div[class^="info_"], div[class*=" info_"]',
  genreLinks: 'a[href*="/genre/"]',
  styleLinks: 'a[href*="/style/"]',
  formatLinks: 'a[href*="format_exact="], a[href*="format="]',
  countryLinks: 'a[href*="country="]',
  /** li 0 = have, li 1 = want. */
  stats: '#release-stats ul li',
  /** The count inside a stats item (else the item's own text). */
  statsCount: 'a',
  canonical: 'link[rel="canonical"]',
} as const;

/** The single-listing page (/sell/item/{id}) and its 2021 server-rendered profile block. */
export const ITEM_PAGE = {
  heading: 'h1#profile_title, h1',
  /** The heading's parts: artist span(s), then the title span last. */
  headingParts: ':scope > span',
  releasePageLink: 'a.release-page, .release_info_buttons a[href*="/release/"], a[href*="/release/"]',
  /** "Genre:" and the like; the field's value is the next element (`.content`). */
  profileHeads: '.profile .head',
  artistLinks: 'a[href*="/artist/"]',
  labelLinks: '.profile a[href*="/label/"]',
  /** "Rated 5.00 of 9 votes (63 have, 55 want)". */
  ratingSummary: '.release_info_buttons',
} as const;

export const MARKETPLACE = {
  row: 'table.mpitems tbody tr.shortcut_navigable, table.mpitems tbody tr[data-release-id]',
  releaseLink: 'a.item_release_link',
  title: 'a.item_description_title',
  label: '.label_and_cat a[href*="/label/"]',
  catno: '.item_catno',
  price: 'td.item_price span.price[data-pricevalue]',
  have: '.community_data_text .have_indicator .community_number',
  want: '.community_data_text .want_indicator .community_number',
  rating: '.community_data_text .community_rating strong',
  /** The badge goes after the listing title. */
  badgeAfter: 'td.item_description strong',
  /** Attribute of a price element with the price as a plain number. */
  priceValueAttribute: 'data-pricevalue',
  /** Attribute some rows carry with their release id (when the release link is missing). */
  rowReleaseIdAttribute: 'data-release-id',
} as const;

/**
 * Text shapes of Discogs pages that the extractors read. The marketplace item page's field names and
 * summary sentences are the English site's: on another language's site they do not match and those
 * fields stay empty (the ids and the rest of the record still come from links).
 */
export const PAGE_TEXT = {
  /** "Artist – Title" in a heading, "Label – Catno" in a profile field: a dash between spaces. */
  dashSeparator: /\s[–-]\s/,
  /** The colon after a profile field name ("Genre:"). */
  fieldNameEnd: /:$/,
  /** Profile field names, lower-cased, as the English item page shows them. */
  itemFields: { label: 'label', format: 'format', country: 'country', released: 'released', genre: 'genre', style: 'style' },
  /** Genres and styles in one profile field: "Electronic, Jazz". */
  listSeparator: ',',
  /** "(63 have, 55 want)" on the item page (English). */
  haveWant: /\(([\d,.]+) have, ([\d,.]+) want\)/,
  /** "Rated 5.00 of 9 votes" on the item page (English). */
  ratedOfVotes: /Rated ([\d.]+) of ([\d,.]+) votes/,
} as const;

/** Where the badge of a row goes: after `after` when found, else appended to `slot`, else after the title link. */
export interface RowSource {
  /** The row elements. */
  row: string;
  /** The link whose text is the record title (first match). */
  title?: string;
  /** The badge goes right after this element. */
  after?: string;
  /** The badge is appended inside this element (Discogs' own badge column). */
  slot?: string;
}

/** Page-specific record rows; links outside them fall back to GENERIC_ROW. */
export const ROW_SOURCES: Partial<Record<PageKind, RowSource[]>> = {
  'marketplace-list': [{ row: MARKETPLACE.row, title: MARKETPLACE.title, after: MARKETPLACE.badgeAfter }],
  'marketplace-release': [{ row: MARKETPLACE.row, title: MARKETPLACE.title, after: MARKETPLACE.badgeAfter }],
  release: [
    { row: '#release-other-versions tr, #release-other-versions li, #release-other-versions [role="row"]' },
    { row: '#release-recommendations li, #release-recommendations [role="listitem"]' },
  ],
  master: [{ row: '#versions tr[class^="row_"], #versions tr[class*=" row_"]', title: 'td[class*="title_"] a' }],
  artist: [
    {
      row: 'table[class^="releases_"] tr, table[class*=" releases_"] tr, [class*="textWithCoversRow_"]',
      title: 'td[class^="title_"] a, td[class*=" title_"] a',
      slot: 'td[class*="skittles_"]',
    },
  ],
  label: [{ row: 'table[class*="labelReleasesTable_"] tr', title: 'td[class*="title_"] a' }],
  wantlist: [
    { row: '[class^="wantlist_"] tr, [class^="wantlist_"] [role="row"], [class*=" wantlist_"] tr' },
    { row: 'table.release_list_table tr' },
  ],
  collection: [{ row: '[role="row"]', title: '[role="cell"][data-field="title"] a[href*="/release/"]' }],
  search: [
    { row: '#search_results li[data-object-type="release"], #search_results li[data-object-type="master"]' },
  ],
};

/** Row metadata cells that React-era tables and grids label in their class names or data-field. */
export const ROW_FIELDS = {
  artistLinks: 'a[href*="/artist/"]',
  labelLinks: 'a[href*="/label/"]',
  year: '[data-field="year"], [class*="year_"], td.year',
  format: '[data-field="format"], [class*="format_"], td.format, .card_format',
  catno: '[data-field="catno"], [class*="catno_"], td.catno',
} as const;
