// The Discogs client against real API responses: release documents, list pages and error bodies from
// the client-library fixtures in ../shared/data/sources, served by the local stand-in for the API.
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { importFile, type ImportedItem } from '../../shared/import';
import { createDiscogsClient, createMemoryCache, DiscogsApiError, keepersUserAgent } from '../../backend/records/discogs';
import { releaseFromApiRelease, releaseFromBasicInformation } from '../../shared/schemas';
import { dataPath, hasData } from '../helpers/data';
import { FakeDiscogs, fakeClock } from '../fixtures/import/fake-discogs';

const src = (...parts: string[]) => dataPath('sources', ...parts);
const text = (...parts: string[]) => readFile(src(...parts), 'utf8');

const RELEASE_DOCS = [
  'joalla__discogs_client/discogs_client__tests__res__releases__1.json',
  'joalla__discogs_client/discogs_client__tests__res__releases__2.json',
  'joalla__discogs_client/discogs_client__tests__res__releases__3.json',
  'joalla__discogs_client/discogs_client__tests__res__releases__79.json',
  'joalla__discogs_client/discogs_client__tests__res__releases__3329867.json',
  'buntine__discogs/spec__samples__valid_release.json',
  'andy-miles__discogs-java-client/src__test__resources__database__Release.json',
  'bartholomews__discogs4s/modules__core__src__test__resources____files__releases__get-release.json',
  'Kalli__Disconest/static__fixtures__DiscogsResponse.json',
];

let server: FakeDiscogs | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

async function setup(token: string | undefined = 'real-fixture-token') {
  const { clock } = fakeClock();
  server = new FakeDiscogs(clock.now);
  const baseUrl = await server.start();
  const cache = createMemoryCache();
  const client = createDiscogsClient({ token, userAgent: keepersUserAgent('test'), baseUrl, clock, cache, maxRetries: 1 });
  return { client, server, cache };
}

describe.skipIf(!hasData)('Discogs client on real API fixtures', () => {
  it('reads every real /releases/{id} document the client libraries test with', async () => {
    const { client, server } = await setup();
    // Two libraries use release 1: the later document is the one served and expected.
    const expectedById = new Map<number, ReturnType<typeof releaseFromApiRelease>>();
    for (const name of RELEASE_DOCS) {
      const body = await text(name);
      const doc = JSON.parse(body) as { id: number };
      server.releases.set(doc.id, body);
      expectedById.set(doc.id, releaseFromApiRelease(doc));
    }
    const expected = [...expectedById.values()];
    expect(expected.length).toBeGreaterThanOrEqual(8);
    for (const want of expected) {
      expect(await client.getRelease(want.id)).toEqual(want);
    }
    expect(server.requests).toHaveLength(expected.length);
    expect(server.requests.every((r) => r.headers.authorization === 'Discogs token=real-fixture-token')).toBe(true);
  });

  it('reads real collection and wantlist pages', async () => {
    const { client, server } = await setup();
    const collection = await text('joalla__discogs_client/discogs_client__tests__res__users__example__collection__folders__0__releases_page=1&per_page=50.json');
    const wants = await text('joalla__discogs_client/discogs_client__tests__res__users__example__wants_per_page=50&page=1.json');
    server.collectionPages.set('example', [collection]);
    server.wantlistPages.set('example', [wants]);
    const c = await client.getCollectionPage('example', 1, { perPage: 50 });
    const w = await client.getWantlistPage('example', 1, { perPage: 50 });
    const parsedC = JSON.parse(collection) as { releases: unknown[]; pagination: { items: number } };
    const parsedW = JSON.parse(wants) as { wants: unknown[] };
    expect(c.items.map((i) => i.release)).toEqual(parsedC.releases.map((e) => releaseFromBasicInformation(e)));
    expect(c.totalItems).toBe(parsedC.pagination.items);
    expect(w.items.map((i) => i.release)).toEqual(parsedW.wants.map((e) => releaseFromBasicInformation(e)));
    expect(new Set(w.items.map((i) => i.listKind))).toEqual(new Set(['wantlist']));
  });

  it('turns the real error bodies into readable errors', async () => {
    const { client, server } = await setup();
    server.notFoundBody = await text('jrtibbetts__SwiftDiscogs/Tests__Mock_Implementation__Database__get-release-404.json');
    await expect(client.getRelease(31337)).rejects.toThrow('Discogs has nothing at GET /releases/31337 (404 Not Found): Release not found.');

    server.queued.push({ status: 401, body: await text('jrtibbetts__SwiftDiscogs/Tests__Mock_Implementation__User_Identity__get-user-identity-401.json') });
    await expect(client.getRelease(1)).rejects.toThrow(/401 Unauthorized\): You must authenticate to access this resource\. The Discogs token was rejected/);

    server.queued.push({ status: 403, body: await text('jrtibbetts__SwiftDiscogs/Tests__Mock_Implementation__Collection__delete-item-from-folder-403.json') });
    await expect(client.getRelease(1)).rejects.toThrow("(403 Forbidden): You don't have permission to access this resource.");

    const body500 = await text('jrtibbetts__SwiftDiscogs/Tests__Mock_Implementation__Database__search-500.json');
    server.queued.push({ status: 500, body: body500 }, { status: 500, body: body500 });
    const error = await client.getRelease(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiscogsApiError);
    expect((error as Error).message).toBe('Discogs failed on GET /releases/1 (HTTP 500) after 2 tries: Query time exceeded. Please try a simpler query.');

    // A real fixture that is not valid JSON (a trailing comma), served as a 200.
    server.queued.push({ status: 200, body: await text('jrtibbetts__SwiftDiscogs/Tests__Mock_Implementation__Database__get-release-200.json') });
    await expect(client.getRelease(1)).rejects.toThrow(/^Discogs sent a response to GET \/releases\/1 that is not valid JSON/);
  });

  it('enriches a real collection imported without genres (canonical collections) from real release documents', async () => {
    const { client, server } = await setup();
    const docs = (await text('jeremiahrappley__vinyl-showcase/data__releases.jsonl'))
      .split('\n')
      .filter((l) => l.trim() !== '');
    const byId = new Map<number, ReturnType<typeof releaseFromApiRelease>>();
    for (const line of docs) {
      const doc = JSON.parse(line) as { id: number };
      server.releases.set(doc.id, line);
      byId.set(doc.id, releaseFromApiRelease(doc));
    }
    // The canonical collection lines carry only ids, dates and ratings: the records lack everything else.
    const items: ImportedItem[] = [];
    await importFile(dataPath('derived/canonical/collections.jsonl'), {
      resumeFrom: async () => 0,
      writeChunk: async (chunk) => {
        items.push(...chunk);
      },
    }, { user: 'jrappley' });
    const releases = items.filter((i) => i.listKind === 'collection').map((i) => i.release);
    expect(releases.length).toBeGreaterThan(0);
    expect(releases.every((r) => r.genres.length === 0)).toBe(true);

    const result = await client.enrichMissing(releases);
    const known = releases.filter((r) => byId.has(r.id));
    expect(result.enriched).toBe(known.length);
    expect(result.failed.map((f) => f.id)).toEqual(releases.filter((r) => !byId.has(r.id)).map((r) => r.id));
    for (const r of result.releases) {
      const api = byId.get(r.id);
      if (api) expect(r).toMatchObject({ title: api.title, genres: api.genres, styles: api.styles, artists: api.artists });
    }
  });
});
