// Extractors on the team's fixture pages and on the real 2020–21 marketplace HTML (when ../shared/data is present).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { cleanArtistName, detectPage, extractPage, PAGE_KINDS, parseCount, parseFormats, splitListingTitle } from '../../extension/discogs';
import { releaseFromPageRecord } from '../../extension/core/records';
import { dataPath, hasData } from '../helpers/data';
import { FIXTURE_PAGES, loadFixture, type FixtureName } from '../fixtures/discogs-pages/pages';

function extractFixture(name: FixtureName, url?: string) {
  const dom = loadFixture(name, url);
  return extractPage(dom.window.document, url ?? FIXTURE_PAGES[name]);
}

/** Release ids of the rows; a master-only row as its key ('m:<master id>'). */
function rowIds(name: FixtureName): Array<number | string> {
  return extractFixture(name).rows.map((r) => r.record.releaseId ?? r.key);
}

describe('text parsing', () => {
  it('splits marketplace listing titles at the first " - " and the last parentheses', () => {
    expect(splitListingTitle('In Flames - The Tokyo Showdown - Live In Japan 2000\n   (CD, Album)')).toEqual({
      artist: 'In Flames',
      title: 'The Tokyo Showdown - Live In Japan 2000',
      format: 'CD, Album',
    });
    expect(splitListingTitle('Various - Highlights (Out In November) (CD, Comp)').title).toBe('Highlights (Out In November)');
    expect(splitListingTitle('Untitled').artist).toBeNull();
  });

  it('parses format strings with quantities and several formats, keeping unknown words', () => {
    expect(parseFormats('2xLP, Album + CD, Comp')).toEqual([
      { name: 'LP', qty: 2, descriptions: ['Album'] },
      { name: 'CD', qty: 1, descriptions: ['Comp'] },
    ]);
    expect(parseFormats('(Vinyl, 12")')).toEqual([{ name: 'Vinyl', qty: 1, descriptions: ['12"'] }]);
    expect(parseFormats('Box, Ltd + LP, Whi')).toEqual([
      { name: 'Box', qty: 1, descriptions: ['Ltd'] },
      { name: 'LP', qty: 1, descriptions: ['Whi'] },
    ]);
    expect(parseFormats('Ltd, Bun + Blu-ray')).toEqual([{ name: 'Blu-ray', qty: 1, descriptions: ['Ltd', 'Bun'] }]);
    expect(parseFormats('')).toEqual([]);
  });

  it('cleans artist names and counts', () => {
    expect(cleanArtistName(' Nova Lines (2) ')).toBe('Nova Lines');
    expect(cleanArtistName('Mira Ösk*')).toBe('Mira Ösk');
    expect(parseCount('1,234')).toBe(1234);
    expect(parseCount(' 43')).toBe(43);
    expect(parseCount('n/a')).toBeNull();
  });
});

describe('extractors on fixture pages', () => {
  it('release page: header from the URL id, JSON-LD and the info table; rows from other versions and recommendations', () => {
    const { page, header, rows } = extractFixture('release.html');
    expect(page.kind).toBe('release');
    expect(header?.element.tagName).toBe('H1');
    expect(header?.record).toEqual({
      releaseId: 1000001,
      masterId: null,
      release: {
        id: 1000001,
        title: 'Afterglow',
        artists: ['Nova Lines'],
        labels: [{ name: 'Halcyon Records', catno: 'HAL 012' }],
        year: 1994,
        released: '1994',
        country: 'Germany',
        genres: ['Electronic'],
        styles: ['Ambient', 'Downtempo'],
        formats: [{ name: 'Vinyl', qty: 1, descriptions: ['LP', 'Album'] }],
        community: { have: 1234, want: 567, rating: 4.21, ratingCount: 87 },
        lowestPrice: 18.5,
      },
    });
    // Own-release links (images) and header/footer links (1999999, /release/add) are not rows.
    expect(rows.map((r) => r.record.releaseId)).toEqual([1000002, 1000003, 1000050, 1000051]);
    expect(rows[2]?.record.release).toMatchObject({ title: 'Low Sun', artists: ['Ida Marr'] });
  });

  it('release page without JSON-LD falls back to the canonical link and the DOM', () => {
    const dom = loadFixture('release.html', 'https://www.discogs.com/some/other/path');
    dom.window.document.querySelector('#release_schema')?.remove();
    const { header } = extractPage(dom.window.document, 'https://www.discogs.com/release/1000001');
    expect(header?.record.release).toMatchObject({ id: 1000001, title: 'Afterglow', artists: ['Nova Lines'], genres: ['Electronic'] });
    expect(header?.record.release.labels).toBeUndefined();
  });

  it('a broken JSON-LD block is ignored, not thrown', () => {
    const dom = loadFixture('release.html');
    const script = dom.window.document.querySelector('#release_schema');
    if (script) script.textContent = '{ "name": "Afterglow", ';
    const { header } = extractPage(dom.window.document, FIXTURE_PAGES['release.html']);
    expect(header?.record.releaseId).toBe(1000001);
    expect(header?.record.release.styles).toEqual(['Ambient', 'Downtempo']);
  });

  it('master page: version rows carry the master id and artist; the header stands for the first version', () => {
    const { header, rows } = extractFixture('master.html');
    expect(rows.map((r) => r.record.releaseId)).toEqual([1000001, 1000002, 1000003]);
    expect(rows[1]?.record).toMatchObject({
      masterId: 500001,
      release: { title: 'Afterglow', artists: ['Nova Lines'], year: 1994, labels: [{ name: 'Halcyon Records', catno: 'HALCD 012' }] },
    });
    expect(header?.record).toMatchObject({ releaseId: 1000001, masterId: 500001 });
  });

  it('artist page: every row gets the skittles slot; a master-only row is a record of its own, read from the row', () => {
    const { rows } = extractFixture('artist.html');
    expect(rows.map((r) => r.key)).toEqual(['m:500001', 'r:1000010', 'r:1000011']);
    expect(rows.map((r) => r.placement.element.className)).toEqual(rows.map(() => expect.stringContaining('skittles_')));
    expect(rows[1]?.record.release).toMatchObject({ title: 'First Light EP', year: 1992, formats: [{ name: '12"', qty: 1, descriptions: ['EP'] }] });
    // The master row: no release id, its master id, and the metadata the row shows (no id in the release).
    // The artist is the page's (the rows name none).
    expect(rows[0]?.record).toEqual({
      releaseId: null,
      masterId: 500001,
      release: { title: 'Afterglow', artists: ['Nova Lines'], labels: [{ name: 'Halcyon Records', catno: null }], year: 1994 },
    });
    expect(rows.map((r) => r.record.release.artists)).toEqual([['Nova Lines'], ['Nova Lines'], ['Nova Lines']]);
    // An appearance row links its own artist and keeps it.
    const dom = loadFixture('artist.html');
    const doc = dom.window.document;
    const guest = doc.createElement('a');
    guest.href = '/artist/200009-Sable-Field';
    guest.textContent = 'Sable Field';
    doc.querySelectorAll('td[class^="title_"]')[2]!.prepend(guest);
    expect(extractPage(doc, FIXTURE_PAGES['artist.html']).rows.map((r) => r.record.release.artists)).toEqual([['Nova Lines'], ['Nova Lines'], ['Sable Field']]);
  });

  it('master links are rows only where pages list masters: not the "all versions" link of a release page', () => {
    const dom = loadFixture('release.html');
    const doc = dom.window.document;
    const versions = doc.createElement('li');
    const link = doc.createElement('a');
    link.href = '/master/500001-Nova-Lines-Afterglow';
    link.textContent = 'All versions of this release';
    versions.append(link);
    doc.querySelector('main')!.append(versions);
    const { rows } = extractPage(doc, FIXTURE_PAGES['release.html']);
    expect(rows.every((r) => r.record.releaseId !== null)).toBe(true);
    // On the master page the page's own master is never a row either.
    expect(extractFixture('master.html').rows.every((r) => r.record.releaseId !== null)).toBe(true);
  });

  it.each([
    ['label.html', [1000001, 'm:500007', 1000020]],
    ['wantlist.html', [1000051, 1000060]],
    ['collection.html', [1000001, 1000020, 1000060]],
    ['search.html', ['m:500001', 1000001, 1000010]],
    ['marketplace-list.html', [1000001, 1000051, 1000060, 1000020]],
  ] as const)('%s rows', (name, ids) => {
    expect(rowIds(name)).toEqual(ids);
  });

  it('collection rows read the grid cells', () => {
    const { rows } = extractFixture('collection.html');
    expect(rows[2]?.record.release).toEqual({
      id: 1000060,
      title: 'Saltmarsh',
      artists: ['Tern'],
      labels: [{ name: 'Ferry Audio', catno: 'FA 9' }],
      year: 2003,
      formats: [{ name: 'LP', qty: 2, descriptions: ['Album'] }],
    });
  });

  it('marketplace rows: locale, both slug positions, data-release-id, have/want, rating and price', () => {
    const { page, rows } = extractFixture('marketplace-list.html');
    expect(page).toMatchObject({ kind: 'marketplace-list', locale: 'de' });
    expect(rows[2]?.record.release).toEqual({
      id: 1000060,
      title: 'Saltmarsh',
      artists: ['Tern'],
      labels: [{ name: 'Ferry Audio', catno: 'FA 9' }],
      formats: [
        { name: 'LP', qty: 2, descriptions: ['Album'] },
        { name: 'CD', qty: 1, descriptions: ['Album'] },
      ],
      community: { have: 88, want: 140, rating: 4.55, ratingCount: null },
      lowestPrice: 41,
    });
    expect(rows[3]?.record.release.artists).toEqual(['Mira Ösk']);
    expect(rows.every((r) => r.placement.element.tagName === 'STRONG' && r.placement.position === 'afterend')).toBe(true);
  });

  it.each([
    'https://www.discogs.com/sell/mywants?limit=25',
    'https://www.discogs.com/seller/plattenkiste/profile',
    'https://www.discogs.com/pt_BR/seller/plattenkiste/mywants',
  ])('the listing table reads the same on %s', (url) => {
    const { page, rows } = extractFixture('marketplace-list.html', url);
    expect(page.kind).toBe('marketplace-list');
    expect(rows.map((r) => r.record.releaseId)).toEqual([1000001, 1000051, 1000060, 1000020]);
  });

  it('a locale-prefixed release URL reads the same release', () => {
    const { page, header } = extractFixture('release.html', 'https://www.discogs.com/pt_BR/release/1000001-Nova-Lines-Afterglow');
    expect(page).toMatchObject({ kind: 'release', locale: 'pt_BR', releaseId: 1000001 });
    expect(header?.record.release.title).toBe('Afterglow');
  });

  it('/sell/release/{id}: header for the release and one target per listing row', () => {
    const { page, header, rows } = extractFixture('marketplace-release.html');
    expect(page).toMatchObject({ kind: 'marketplace-release', releaseId: 1000001 });
    expect(header?.record.releaseId).toBe(1000001);
    expect(rows.map((r) => r.record.release.lowestPrice)).toEqual([24, 29.5, 35]);
  });

  it('/sell/item/{id}: the release from "View Release Page", its metadata from the profile block; no rows', () => {
    const { page, header, rows } = extractFixture('marketplace-item.html');
    expect(page).toMatchObject({ kind: 'marketplace-item', listingId: 1100000001, releaseId: null });
    expect(header?.element.id).toBe('profile_title');
    expect(header?.placement).toEqual({ element: header?.element, position: 'beforeend' });
    expect(header?.record).toEqual({
      releaseId: 1000051,
      masterId: null,
      release: {
        id: 1000051,
        title: 'Coastal',
        artists: ['Sable Field'],
        labels: [{ name: 'Halcyon Records', catno: 'HAL 015' }],
        formats: [{ name: 'Vinyl', qty: 1, descriptions: ['LP', 'Album', 'Reissue'] }],
        country: 'Netherlands',
        year: 2019,
        genres: ['Electronic', 'Jazz'],
        styles: ['Ambient', 'Future Jazz'],
        community: { have: 310, want: 1024, rating: 3.9, ratingCount: 21 },
      },
    });
    // "View Release Page" and "More Copies" link to this release: not rows.
    expect(rows).toEqual([]);
  });

  it('one fixture page per page kind', () => {
    const kinds = (Object.values(FIXTURE_PAGES) as string[]).map((url) => detectPage(url).kind).sort();
    expect(kinds).toEqual(PAGE_KINDS.filter((k) => k !== 'other').sort());
  });

  it.each(Object.keys(FIXTURE_PAGES) as FixtureName[])('every record of %s is a valid Release for the background', (name) => {
    const { header, rows } = extractFixture(name);
    const targets = header ? [header, ...rows] : rows;
    expect(targets.length).toBeGreaterThan(0);
    for (const { record } of targets) {
      const release = releaseFromPageRecord(record);
      expect(release.id).toBe(record.releaseId ?? record.masterId);
      expect(release.title.length).toBeGreaterThan(0);
    }
  });

  it('rows the caller already handled are reported by id only; the master header keeps its metadata', () => {
    const dom = loadFixture('master.html');
    const url = FIXTURE_PAGES['master.html'];
    const full = extractPage(dom.window.document, url);
    const known = new Set(full.rows.slice(0, 2).map((r) => r.element));
    const again = extractPage(dom.window.document, url, { isKnown: (el) => known.has(el) });
    expect(again.rows.map((r) => r.record.releaseId)).toEqual([1000001, 1000002, 1000003]);
    // Row cells are not read again (title, labels, year, formats); page-level facts still apply.
    expect(again.rows[0]?.record.release).toEqual({ id: 1000001, artists: ['Nova Lines'] });
    expect(full.rows[0]?.record.release.title).toBe('Afterglow');
    expect(again.rows[2]?.record).toEqual(full.rows[2]?.record);
    expect(again.header?.record).toEqual(full.header?.record);
  });

  it('hidden rows and rows the extension added are not records', () => {
    const dom = loadFixture('wantlist.html');
    const doc = dom.window.document;
    doc.querySelector('tbody tr')?.setAttribute('hidden', '');
    const ours = doc.createElement('span');
    ours.setAttribute('data-keepers', '');
    const link = doc.createElement('a');
    link.href = '/release/42-Ours';
    link.textContent = 'ours';
    ours.append(link);
    doc.querySelector('main')?.append(ours);
    expect(extractPage(doc, FIXTURE_PAGES['wantlist.html']).rows.map((r) => r.record.releaseId)).toEqual([1000060]);
  });

  it('dedupes a release linked twice in one row, keeps the same release in two rows', () => {
    const dom = loadFixture('search.html');
    const doc = dom.window.document;
    const card = doc.querySelector('li.card_1Qmxj:nth-child(3)');
    const copy = card?.cloneNode(true);
    if (copy) doc.querySelector('ul')?.append(copy);
    const rows = extractPage(doc, FIXTURE_PAGES['search.html']).rows;
    expect(rows.map((r) => r.key)).toEqual(['m:500001', 'r:1000001', 'r:1000010', 'r:1000001']);
    // The title link (with text), not the cover link, is where the badge goes: for releases and masters.
    expect(rows[1]?.placement).toMatchObject({ position: 'afterend' });
    expect(rows[1]?.placement.element.textContent).toBe('Afterglow');
    expect(rows[0]?.placement.element.getAttribute('href')).toBe('/master/500001-Nova-Lines-Afterglow');
    expect(rows[0]?.placement.element.textContent).toBe('Afterglow');
  });
});

const SOURCES = dataPath('sources');
function sourceFiles(dir: string, pattern: RegExp): string[] {
  const full = `${SOURCES}/${dir}`;
  return existsSync(full) ? readdirSync(full).filter((f) => pattern.test(f)).map((f) => `${full}/${f}`) : [];
}

describe.skipIf(!hasData)('extractors on real Discogs HTML (../shared/data/sources)', () => {
  const marketplacePages = sourceFiles('KirianCaumes__Discogs-Marketplace-API-NodeJS', /^test__html__index@2020-04-25_.*\.html$/);
  const itemPages = sourceFiles('grigorjevas__Discogs-marketplace-scraper', /^test__example_page@2021-03-15_f7b21ad\.html$/);

  it('has the expected source files', () => {
    expect(marketplacePages).toHaveLength(2);
    expect(itemPages).toHaveLength(1);
  });

  it.each(marketplacePages.map((f) => [f.split('/').pop(), f]))('/fr/sell/list %s: one record per listing row', (_name, file) => {
    const html = readFileSync(file as string, 'utf8');
    const url = 'https://www.discogs.com/fr/sell/list?sort=listed%2Cdesc&limit=25&page=1';
    const dom = new JSDOM(html, { url });
    const doc = dom.window.document;
    const { page, header, rows } = extractPage(doc, url);
    expect(page).toMatchObject({ kind: 'marketplace-list', locale: 'fr' });
    expect(header).toBeNull();
    const listingRows = doc.querySelectorAll('table.mpitems tbody tr.shortcut_navigable');
    expect(rows).toHaveLength(listingRows.length);
    expect(rows).toHaveLength(25);
    // Every row's id is the one in its own "item_release_link" (old slug position, /fr/ locale).
    rows.forEach((r, i) => {
      const href = listingRows[i]?.querySelector('a.item_release_link')?.getAttribute('href') ?? '';
      expect(href).toMatch(new RegExp(`^/fr/[^/]+/release/${r.record.releaseId}$`));
      expect(r.element).toBe(listingRows[i]);
    });
    expect(rows[0]?.record.release).toEqual({
      id: 1909678,
      title: 'Come Clarity',
      artists: ['In Flames'],
      labels: [{ name: 'Ferret Music', catno: 'F962' }],
      formats: [
        { name: 'CD', qty: 1, descriptions: ['Album'] },
        { name: 'DVD-V', qty: 1, descriptions: ['Dig'] },
      ],
      community: { have: 259, want: 43, rating: 4.16, ratingCount: null },
    });
    // The same release listed twice stays two rows (two sellers), with the same id.
    const ids = rows.map((r) => r.record.releaseId);
    expect(ids.filter((id) => id === 537012).length).toBeGreaterThan(1);
    expect(rows.every((r) => (r.record.release.community?.have ?? -1) >= 0)).toBe(true);
  });

  it('2021 marketplace item page: the release comes from "View Release Page", metadata from the profile block', () => {
    const html = readFileSync(itemPages[0] as string, 'utf8');
    for (const url of ['https://www.discogs.com/sell/item/1195870635', 'https://www.discogs.com/sell/release/9830762']) {
      const dom = new JSDOM(html, { url });
      const { header, rows } = extractPage(dom.window.document, url);
      expect(header?.element.id).toBe('profile_title');
      expect(header?.record).toEqual({
        releaseId: 9830762,
        masterId: null,
        release: {
          id: 9830762,
          title: 'Extra Terra / Fermi Paradox',
          artists: ['Pascal Hetzel'],
          labels: [{ name: 'Expansion Unit', catno: 'E-UNIT 003' }],
          formats: [{ name: 'Vinyl', qty: 1, descriptions: ['12"'] }],
          country: 'Germany',
          year: 2017,
          genres: ['Electronic'],
          styles: ['Electro'],
          community: { have: 63, want: 55, rating: 5, ratingCount: 9 },
        },
      });
      // Every release link on the page is this release: no rows.
      expect(rows).toEqual([]);
    }
  });
});
