import { describe, expect, it } from 'vitest';
import { detectPage, parseRecordLink, splitLocale } from '../../extension/discogs';

describe('parseRecordLink', () => {
  it.each([
    ['/release/249504-Rick-Astley-Never-Gonna-Give-You-Up', { type: 'release', id: 249504 }],
    ['/release/249504', { type: 'release', id: 249504 }],
    ['https://www.discogs.com/release/249504-X', { type: 'release', id: 249504 }],
    ['https://discogs.com/release/7?ev=rr', { type: 'release', id: 7 }],
    ['/de/release/1000001-Nova-Lines-Afterglow', { type: 'release', id: 1000001 }],
    ['/pt_BR/release/1000001-Nova-Lines-Afterglow#images', { type: 'release', id: 1000001 }],
    ['/fr/In-Flames-Come-Clarity/release/1909678', { type: 'release', id: 1909678 }],
    ['/Pascal-Hetzel-Extra-Terra-Fermi-Paradox/release/9830762?ev=item-vc', { type: 'release', id: 9830762 }],
    ['/release/9830762-Extra-Terra-Fermi-Paradox/images', { type: 'release', id: 9830762 }],
    ['/master/96559-Rick-Astley-Never-Gonna-Give-You-Up', { type: 'master', id: 96559 }],
    ['/ja/Rick-Astley-Never-Gonna-Give-You-Up/master/96559', { type: 'master', id: 96559 }],
    ['/master/view/96559', { type: 'master', id: 96559 }],
  ])('%s is a record link', (href, expected) => {
    expect(parseRecordLink(href, 'https://www.discogs.com/sell/list')).toEqual(expected);
  });

  it.each([
    '/sell/release/9830762',
    '/fr/sell/release/9830762',
    '/sell/item/1059523334',
    '/sell/history/9830762',
    '/release/add?ev=em_sr',
    '/release/stats/1000001',
    '/release/0',
    '/artist/72872-Rick-Astley',
    '/label/895-RCA',
    'https://example.com/release/123',
    'mailto:someone@example.com',
    'javascript:void(0)',
  ])('%s is not a record link', (href) => {
    expect(parseRecordLink(href, 'https://www.discogs.com/')).toBeNull();
  });

  it('resolves relative links against the page URL', () => {
    expect(parseRecordLink('release/5', 'https://www.discogs.com/')).toEqual({ type: 'release', id: 5 });
    expect(parseRecordLink('../release/5-A', 'https://www.discogs.com/de/sell/list')).toEqual({ type: 'release', id: 5 });
  });
});

describe('detectPage', () => {
  it.each([
    ['https://www.discogs.com/release/1000001-Nova-Lines-Afterglow', 'release', { releaseId: 1000001 }],
    ['https://www.discogs.com/de/release/1000001-Nova-Lines-Afterglow', 'release', { releaseId: 1000001, locale: 'de' }],
    ['https://www.discogs.com/Pascal-Hetzel-Extra-Terra-Fermi-Paradox/release/9830762', 'release', { releaseId: 9830762 }],
    ['https://www.discogs.com/master/500001-Nova-Lines-Afterglow', 'master', { masterId: 500001 }],
    ['https://www.discogs.com/pt_BR/master/500001', 'master', { masterId: 500001, locale: 'pt_BR' }],
    ['https://www.discogs.com/artist/200001-Nova-Lines', 'artist', {}],
    ['https://www.discogs.com/label/30001-Halcyon-Records?page=2', 'label', {}],
    ['https://www.discogs.com/search/?q=nova&type=all', 'search', {}],
    ['https://www.discogs.com/fr/sell/list?sort=listed%2Cdesc&limit=25&page=1', 'marketplace-list', { locale: 'fr' }],
    ['https://www.discogs.com/sell/mywants', 'marketplace-list', {}],
    ['https://www.discogs.com/seller/plattenkiste/profile', 'marketplace-list', {}],
    ['https://www.discogs.com/sell/release/9830762?ev=rb', 'marketplace-release', { releaseId: 9830762 }],
    ['https://www.discogs.com/sell/item/1195870635', 'marketplace-item', { listingId: 1195870635, releaseId: null }],
    ['https://www.discogs.com/mywantlist', 'wantlist', {}],
    ['https://www.discogs.com/es/mywantlist?page=2', 'wantlist', { locale: 'es' }],
    ['https://www.discogs.com/user/example-collector/collection', 'collection', {}],
    ['https://www.discogs.com/', 'other', {}],
    ['https://www.discogs.com/release/add', 'other', {}],
    ['https://example.com/release/1', 'other', {}],
  ])('%s is a %s page', (url, kind, ids) => {
    const page = detectPage(url);
    expect(page.kind).toBe(kind);
    expect(page).toMatchObject(ids);
  });

  it('keeps old slug positions apart from section names', () => {
    // "sell" is a section, not an Artist-Title slug: /sell/release/{id} is a marketplace page.
    expect(detectPage('https://www.discogs.com/sell/release/5').kind).toBe('marketplace-release');
    expect(splitLocale('/de/sell/list')).toEqual({ locale: 'de', path: '/sell/list' });
    expect(splitLocale('/Dead-Can-Dance/release/1')).toEqual({ locale: null, path: '/Dead-Can-Dance/release/1' });
  });
});
