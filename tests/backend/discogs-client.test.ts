// The Discogs client against a local HTTP stand-in for api.discogs.com (real sockets, real fetch),
// with a fake clock so rate-limit waits are checked exactly and take no real time.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiscogsClient, createMemoryCache, DiscogsApiError, keepersUserAgent, type DiscogsClientOptions } from '../../backend/records/discogs';
import { parseRelease, type Release } from '../../shared/schemas';
import { REPO_ROOT } from '../helpers/data';
import { FakeDiscogs, fakeClock } from '../fixtures/import/fake-discogs';

const API = path.join(REPO_ROOT, 'tests/fixtures/import/api');
const readFixture = (name: string) => readFile(path.join(API, name), 'utf8');
const UA = keepersUserAgent('0.1.0-test', 'https://example.invalid/keepers');

let server: FakeDiscogs | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

async function setup(opts: Partial<DiscogsClientOptions> = {}) {
  const { clock, state } = fakeClock();
  server = new FakeDiscogs(clock.now);
  const baseUrl = await server.start();
  const release = await readFixture('release-1001.json');
  server.releases.set(1001, release);
  const client = createDiscogsClient({ token: 'sekrit', userAgent: UA, baseUrl, clock, ...opts });
  return { client, server, state, clock, baseUrl };
}

/** Synthetic release documents 1..n for rate tests. */
function addReleases(fake: FakeDiscogs, n: number) {
  for (let id = 1; id <= n; id++) {
    fake.releases.set(id, JSON.stringify({ id, title: `R${id}`, artists: [{ name: 'A' }], genres: ['Rock'], styles: ['Punk'] }));
  }
}

describe('requests', () => {
  it('identifies itself, authenticates with the token and maps the document to a Release', async () => {
    const { client, server } = await setup();
    const release = await client.getRelease(1001);
    expect(release).toMatchObject({
      id: 1001,
      title: 'Fixture Release',
      artists: ['Fixture Band'],
      masterId: 5001,
      released: '1997-05-12',
      genres: ['Electronic'],
      styles: ['Trip Hop', 'Downtempo'],
      community: { have: 812, want: 301, rating: 4.11, ratingCount: 57 },
      lowestPrice: 18,
    });
    const seen = server.requests[0];
    expect(seen?.path).toBe('/releases/1001');
    expect(seen?.headers['user-agent']).toBe(UA);
    expect(seen?.headers.authorization).toBe('Discogs token=sekrit');
  });

  it('sends no Authorization without a token and refuses to start without a User-Agent', async () => {
    const { client, server } = await setup({ token: undefined });
    await client.getRelease(1001);
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(() => createDiscogsClient({ userAgent: ' ' })).toThrow(/userAgent is required/);
  });

  it('consults the cache before any request, including remembered 404s', async () => {
    const cache = createMemoryCache();
    const { client, server } = await setup({ cache });
    await client.getRelease(1001);
    await client.getRelease(1001);
    expect(server.requests).toHaveLength(1);
    await expect(client.getRelease(999)).rejects.toThrow(/404/);
    await expect(client.getRelease(999)).rejects.toThrow(/Release not found\. \(cached\)/);
    expect(server.requests).toHaveLength(2);

    // A second client with the same cache asks Discogs nothing.
    const other = createDiscogsClient({ userAgent: UA, baseUrl: 'http://127.0.0.1:9', cache });
    expect((await other.getRelease(1001)).title).toBe('Fixture Release');
  });

  it('reads collection and wantlist pages with pagination', async () => {
    const { client, server } = await setup();
    server.collectionPages.set('tester name', [await readFixture('collection-tester-p1.json')]);
    server.wantlistPages.set('tester name', [await readFixture('wantlist-tester-p1.json')]);
    const page = await client.getCollectionPage('tester name', 1, { perPage: 2 });
    expect(server.requests[0]?.path).toBe('/users/tester%20name/collection/folders/0/releases?page=1&per_page=2');
    expect(page).toMatchObject({ page: 1, pages: 2, perPage: 2, totalItems: 3 });
    expect(page.items.map((i) => [i.release.id, i.listKind, i.rating, i.dateAdded])).toEqual([
      [1001, 'collection', 5, '2022-03-04T05:06:07-08:00'],
      [1002, 'collection', null, '2022-03-05T05:06:07-08:00'],
    ]);
    const wants = await client.getWantlistPage('tester name', 1);
    expect(server.requests[1]?.path).toBe('/users/tester%20name/wants?page=1&per_page=100');
    expect(wants.items.map((i) => [i.release.id, i.listKind, i.release.styles])).toEqual([[1003, 'wantlist', ['Disco']]]);
    await expect(client.getCollectionPage('tester name', 0)).rejects.toThrow(/page must be a positive whole number/);
  });

  it('caches list pages only when asked to (they change as the collection grows)', async () => {
    const cache = createMemoryCache();
    const { client, server, baseUrl, clock } = await setup({ cache });
    server.collectionPages.set('tester', [await readFixture('collection-tester-p1.json')]);
    await client.getCollectionPage('tester', 1);
    await client.getCollectionPage('tester', 1);
    expect(server.requests).toHaveLength(2);
    const caching = createDiscogsClient({ userAgent: UA, baseUrl, clock, cache, cacheListPages: true });
    await caching.getCollectionPage('tester', 1);
    await caching.getCollectionPage('tester', 1);
    expect(server.requests).toHaveLength(3);
  });
});

describe('rate limiting', () => {
  it('with a token: a burst of 4, then one request every 60/55 s; never 60 in any minute', async () => {
    const { client, server, state } = await setup();
    addReleases(server, 130);
    for (let id = 1; id <= 130; id++) await client.getRelease(id);
    expect(client.rateLimit()).toMatchObject({ requestsPerMinute: 55, burst: 4 });
    expect(server.maxInAnyWindow()).toBeLessThanOrEqual(59);
    expect(server.maxInAnyWindow()).toBeGreaterThanOrEqual(55);
    expect(state.sleeps.slice(0, 3).every((ms) => ms === Math.ceil(60_000 / 55))).toBe(true);
  });

  it('without a token: under 25 a minute', async () => {
    const { client, server } = await setup({ token: undefined });
    addReleases(server, 60);
    for (let id = 1; id <= 60; id++) await client.getRelease(id);
    expect(server.maxInAnyWindow()).toBeLessThanOrEqual(24);
    expect(client.rateLimit().requestsPerMinute).toBe(23);
  });

  it('follows a lower X-Discogs-Ratelimit and slows down as X-Discogs-Ratelimit-Remaining runs low', async () => {
    const { client, server, state } = await setup();
    server.rateLimit = 30;
    addReleases(server, 80);
    for (let id = 1; id <= 80; id++) await client.getRelease(id);
    expect(client.rateLimit()).toMatchObject({ discogsLimit: 30, requestsPerMinute: 28, burst: 1 });
    // The server would answer 429 above 30 in a window: the client never got one.
    expect(server.requests).toHaveLength(80);
    expect(server.maxInAnyWindow()).toBeLessThanOrEqual(30);
    // Before the first response it ran at 55/min (waits of 1091 ms); once Remaining fell under 5 it waited longer.
    expect(Math.max(...state.sleeps)).toBeGreaterThan(Math.ceil(60_000 / 28));
  });

  it('derives what is left from X-Discogs-Ratelimit-Used when Remaining is absent', async () => {
    const { client, server, state } = await setup();
    const body = await readFixture('release-1001.json');
    server.queued.push({ status: 200, body, headers: { 'X-Discogs-Ratelimit': '60', 'X-Discogs-Ratelimit-Used': '58' } });
    await client.getRelease(1001);
    expect(client.rateLimit()).toMatchObject({ discogsLimit: 60, remaining: 2 });
    await client.getRelease(1001);
    // 2 left, threshold 5: the bucket owes 3 requests, so the next one waits 4 intervals of 60/55 s.
    expect(state.sleeps).toEqual([Math.ceil((4 * 60_000) / 55)]);
  });

  it('waits as long as Retry-After says on a 429, then succeeds', async () => {
    const { client, server, state } = await setup();
    server.queued.push({ status: 429, body: '{"message": "You are making requests too quickly."}', headers: { 'Retry-After': '7' } });
    const release = await client.getRelease(1001);
    expect(release.id).toBe(1001);
    expect(server.requests).toHaveLength(2);
    expect(state.sleeps).toContain(7000);
  });

  it('backs off exponentially on 429 without Retry-After and gives up after the retries, readably', async () => {
    const { client, server, state } = await setup({ maxRetries: 3 });
    for (let i = 0; i < 10; i++) server.queued.push({ status: 429, body: '{"message": "You are making requests too quickly."}' });
    const error = await client.getRelease(1001).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscogsApiError);
    expect((error as DiscogsApiError).status).toBe(429);
    expect((error as Error).message).toBe(
      'Discogs kept rate-limiting GET /releases/1001 (429 Too Many Requests) after 4 tries: You are making requests too quickly.',
    );
    expect(server.requests).toHaveLength(4);
    expect(state.sleeps.filter((ms) => ms >= 1000)).toEqual([1000, 2000, 4000]);
  });
});

describe('errors', () => {
  it('404, 401 and 5xx give messages with what Discogs said', async () => {
    const { client, server } = await setup({ maxRetries: 1 });
    await expect(client.getRelease(424242)).rejects.toThrow('Discogs has nothing at GET /releases/424242 (404 Not Found): Release not found.');

    server.queued.push({ status: 401, body: '{"message": "You must authenticate to access this resource."}' });
    await expect(client.getRelease(1001)).rejects.toThrow(
      'Discogs refused GET /releases/1001 (401 Unauthorized): You must authenticate to access this resource. The Discogs token was rejected: check it in the config.',
    );

    server.queued.push({ status: 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>' });
    server.queued.push({ status: 500, body: '{"message": "Query time exceeded. Please try a simpler query."}' });
    const error = await client.getRelease(1001).catch((e: unknown) => e);
    expect((error as DiscogsApiError).status).toBe(500);
    expect((error as Error).message).toBe(
      'Discogs failed on GET /releases/1001 (HTTP 500) after 2 tries: Query time exceeded. Please try a simpler query.',
    );
  });

  it('a 5xx followed by success is retried transparently', async () => {
    const { client, server } = await setup();
    server.queued.push({ status: 502, body: 'Bad gateway' });
    expect((await client.getRelease(1001)).id).toBe(1001);
    expect(server.requests).toHaveLength(2);
  });

  it('a body that is not JSON, and an unreachable server, are readable errors', async () => {
    const { client, server, baseUrl } = await setup({ maxRetries: 1 });
    server.queued.push({ status: 200, body: '{"id": 1001, "title": "cut off' });
    await expect(client.getRelease(1001)).rejects.toThrow(/^Discogs sent a response to GET \/releases\/1001 that is not valid JSON: /);
    await server.stop();
    const error = await client.getRelease(1001).catch((e: unknown) => e);
    expect((error as DiscogsApiError).status).toBeNull();
    expect((error as Error).message).toMatch(new RegExp(`^Could not reach Discogs at ${baseUrl.replace(/\./g, '\\.')} for GET /releases/1001 after 2 tries: .*ECONNREFUSED`));
  });
});

describe('enrichMissing', () => {
  const bare = (id: number, extra: Partial<Release> = {}): Release =>
    parseRelease({ id, title: `CSV ${id}`, artists: ['CSV Artist'], labels: [{ name: 'CSV Label', catno: 'C1' }], ...extra });

  it('fills genres and styles of records lacking them, keeps the rest, reports what it could not find', async () => {
    const cache = createMemoryCache();
    const { client, server } = await setup({ cache });
    server.releases.set(1002, JSON.stringify({ id: 1002, title: 'API Two', artists: [{ name: 'Two' }], genres: ['Jazz'], styles: ['Bop'], year: 1961 }));
    const complete = bare(1003, { genres: ['Rock'], styles: ['Punk'] });
    const input = [bare(1001, { lowestPrice: 9.5 }), complete, bare(1002), bare(404404)];
    const progress: { done: number; total: number; id: number }[] = [];
    const result = await client.enrichMissing(input, (p) => progress.push({ done: p.done, total: p.total, id: p.last.id }));

    expect(result.enriched).toBe(2);
    expect(result.failed).toEqual([{ id: 404404, message: expect.stringContaining('Release not found.') }]);
    expect(result.releases.map((r) => r.id)).toEqual([1001, 1003, 1002, 404404]);
    expect(result.releases[0]).toMatchObject({
      title: 'Fixture Release',
      genres: ['Electronic'],
      styles: ['Trip Hop', 'Downtempo'],
      lowestPrice: 18,
      community: { have: 812 },
    });
    expect(result.releases[1]).toBe(complete);
    // The API document has no labels here: the CSV's label stays.
    expect(result.releases[2]).toMatchObject({ title: 'API Two', genres: ['Jazz'], labels: [{ name: 'CSV Label', catno: 'C1' }], year: 1961 });
    expect(result.releases[3]).toEqual(input[3]);
    expect(progress).toEqual([
      { done: 1, total: 3, id: 1001 },
      { done: 2, total: 3, id: 1002 },
      { done: 3, total: 3, id: 404404 },
    ]);
    expect(server.requests.map((r) => r.path)).toEqual(['/releases/1001', '/releases/1002', '/releases/404404']);

    // Run again: everything comes from the cache.
    const again = await client.enrichMissing(input);
    expect(again.enriched).toBe(2);
    expect(server.requests).toHaveLength(3);
  });

  it('asks once for a release listed twice, even without a cache', async () => {
    const { client, server } = await setup();
    const result = await client.enrichMissing([bare(1001), bare(1001, { title: 'second copy' })]);
    expect(result.enriched).toBe(2);
    expect(server.requests).toHaveLength(1);
  });

  it('stops on a rejected token instead of failing every record', async () => {
    const { client, server } = await setup();
    server.queued.push({ status: 401, body: '{"message": "You must authenticate to access this resource."}' });
    await expect(client.enrichMissing([bare(1001), bare(1002)])).rejects.toThrow(/401 Unauthorized/);
    expect(server.requests).toHaveLength(1);
  });
});
