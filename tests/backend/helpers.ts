// Shared setup of the backend tests: a real SQLite file in a temp dir, a real HTTP server on 127.0.0.1
// (port 0) and real tRPC clients.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../../backend/routers/_app';
import { appRouter } from '../../backend/routers/_app';
import { App, type AppOptions } from '../../backend/app';
import { startServer, type RunningServer } from '../../backend/server';
import { createCallerFactory, createContextForToken } from '../../backend/trpc';
import { createPairingCode } from '../../backend/auth';
import { mulberry32 } from '../../shared/random';
import type { Release } from '../../shared/schemas';

export const FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../fixtures/backend');

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keepers-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const quietLogger = () => pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function openApp(dbFile: string, opts: Partial<AppOptions> = {}): Promise<App> {
  return App.create({ dbFile, logger: quietLogger(), seed: 1234, random: mulberry32(99), trainer: 'in-process', ...opts });
}

export type Client = ReturnType<typeof makeClient>;

export function makeClient(url: string, token: string | null) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })],
  });
}

/** Pairs a new device over HTTP with a code minted the way `keepers pair` does. */
export async function pairDevice(app: App, url: string, name: string): Promise<{ client: Client; token: string; deviceId: number }> {
  const { code } = await createPairingCode(app.db);
  const { token, deviceId } = await makeClient(url, null).devices.pair.mutate({ pairingCode: code, deviceName: name });
  return { client: makeClient(url, token), token, deviceId };
}

export async function callerFor(app: App, token: string | null) {
  return createCallerFactory(appRouter)(await createContextForToken(app, token));
}

export async function withServer(app: App): Promise<RunningServer> {
  return startServer(app, { port: 0, host: '127.0.0.1', maxBodyBytes: 256 * 1024 });
}

/** The tRPC error code of a rejected call ('BAD_REQUEST', 'NOT_FOUND', …) and its message. */
export async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string; httpStatus?: number }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof TRPCClientError) {
      const data = err.data as { code?: string; httpStatus?: number } | undefined;
      return { code: data?.code ?? 'UNKNOWN', message: err.message, httpStatus: data?.httpStatus };
    }
    const e = err as { code?: string; message?: string };
    return { code: e.code ?? 'UNKNOWN', message: e.message ?? String(err) };
  }
  throw new Error('expected the call to fail, it succeeded');
}

const GENRE_STYLES: [string, string[]][] = [
  ['Jazz', ['Hard Bop', 'Modal', 'Free Jazz']],
  ['Electronic', ['Techno', 'House', 'Ambient']],
  ['Rock', ['Post-Punk', 'Indie Rock', 'Psychedelic Rock']],
  ['Reggae', ['Dub', 'Roots Reggae']],
  ['Classical', ['Baroque', 'Modern']],
];

/** Invented releases with genres, styles, labels and years (ids from `firstId`), deterministic from `seed`. */
export function syntheticReleases(count: number, firstId = 100_000, seed = 5): Release[] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const [genre, styles] = GENRE_STYLES[Math.floor(rand() * GENRE_STYLES.length)]!;
    return {
      id: firstId + i,
      masterId: null,
      title: `Synthetic ${i}`,
      artists: [`Artist ${Math.floor(rand() * 40)}`],
      labels: [{ name: `Label ${Math.floor(rand() * 12)}`, catno: `CAT-${i}` }],
      year: 1955 + Math.floor(rand() * 65),
      released: null,
      country: null,
      genres: [genre],
      styles: [styles[Math.floor(rand() * styles.length)]!],
      formats: [{ name: 'Vinyl', qty: 1, descriptions: ['LP', 'Album'] }],
      community: { have: Math.floor(rand() * 5000), want: Math.floor(rand() * 3000), rating: null, ratingCount: null },
      lowestPrice: null,
      thumb: null,
    };
  });
}
