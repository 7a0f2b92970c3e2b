// Discogs API client for the backend (the extension never calls Discogs): fills in records that lack
// genres/styles and reads collection / wantlist pages. It identifies itself with a unique User-Agent,
// authenticates with a user token, stays under the rate limit with a token bucket that follows Discogs'
// X-Discogs-Ratelimit-* headers and 429s, and consults a cache before every release request.
import { releaseFromApiRelease, type Release } from '../../../shared/schemas';
import { itemFromListEntry } from '../../../shared/import/json';

export interface DiscogsCache {
  get(key: string): Promise<unknown | undefined>;
  set(key: string, value: unknown): Promise<void>;
}

/** Time source; tests pass a fake one so rate-limit waits take no real time. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface DiscogsClientOptions {
  /** Discogs user token (Settings → Developers); without it Discogs allows 25 requests a minute. */
  token?: string;
  /** Required by Discogs: a unique name for this application, e.g. from keepersUserAgent(). */
  userAgent: string;
  baseUrl?: string;
  cache?: DiscogsCache;
  /** Target rate; capped below Discogs' limit (60 with a token, 25 without), burst included. */
  requestsPerMinute?: number;
  fetchImpl?: typeof fetch;
  clock?: Clock;
  /** Retries after a 429, a 5xx or a network failure (default 4). */
  maxRetries?: number;
  /** When X-Discogs-Ratelimit-Remaining falls to this, requests are spaced out further (default 5). */
  lowRemaining?: number;
  /** Collection and wantlist pages change: cache them only when asked (release documents always are). */
  cacheListPages?: boolean;
  /** Called after every HTTP response (for logs and tests). */
  onResponse?: (info: { method: string; path: string; status: number; attempt: number }) => void;
}

export class DiscogsApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, or null when Discogs could not be reached. */
    readonly status: number | null,
    readonly path: string,
    /** The `message` of Discogs' error body, when it sent one. */
    readonly discogsMessage: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DiscogsApiError';
  }
}

export interface ListItem {
  release: Release;
  listKind: 'collection' | 'wantlist';
  dateAdded: string | null;
  rating: number | null;
}

export interface ListPage {
  page: number;
  pages: number;
  perPage: number;
  totalItems: number;
  items: ListItem[];
}

export interface EnrichProgress {
  done: number;
  total: number;
  enriched: number;
  failed: number;
  /** The record just handled: its enriched form (save it now), or why it could not be enriched. */
  last: { id: number; release: Release | null; error: string | null };
}

export interface EnrichResult {
  /** Same order as the input; records that needed nothing or failed are returned unchanged. */
  releases: Release[];
  enriched: number;
  failed: { id: number; message: string }[];
}

export interface DiscogsClient {
  getRelease(id: number, opts?: { signal?: AbortSignal }): Promise<Release>;
  getCollectionPage(user: string, page: number, opts?: { perPage?: number; signal?: AbortSignal }): Promise<ListPage>;
  getWantlistPage(user: string, page: number, opts?: { perPage?: number; signal?: AbortSignal }): Promise<ListPage>;
  enrichMissing(releases: Release[], onProgress?: (p: EnrichProgress) => void, opts?: { signal?: AbortSignal }): Promise<EnrichResult>;
  /** What the client currently allows itself and what Discogs last reported. */
  rateLimit(): { requestsPerMinute: number; burst: number; discogsLimit: number | null; remaining: number | null };
}

/** A unique, descriptive User-Agent as Discogs asks for: product/version (+where it comes from). */
export function keepersUserAgent(version: string, contact = 'self-hosted'): string {
  return `DiscogsKeepers/${version} (+${contact})`;
}

/** Records lacking genres or styles (CSV exports have neither; some API lists carry genres only). */
function needsEnrichment(r: Release): boolean {
  return r.genres.length === 0 || r.styles.length === 0;
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

/** The API document wins where it knows something; what only the original had (dates, prices) stays. */
function mergeRelease(base: Release, fromApi: Release): Release {
  const merged = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(fromApi)) {
    if (key === 'community') continue;
    if (!isEmpty(value)) merged[key] = value;
  }
  const community = { ...base.community };
  for (const [key, value] of Object.entries(fromApi.community) as [keyof Release['community'], number | null][]) {
    if (value !== null) community[key] = value;
  }
  merged.community = community;
  return merged as Release;
}

/**
 * A token bucket: `burst` requests at once, then one every 60 s / rate. Discogs counts requests in a
 * moving 60-second window, so burst + rate is kept below its limit.
 */
class TokenBucket {
  private tokens: number;
  private last: number;
  rate = 1;
  burst = 1;

  constructor(
    private readonly clock: Clock,
    private readonly wanted: number,
    limit: number,
  ) {
    this.setLimit(limit);
    this.tokens = this.burst;
    this.last = clock.now();
  }

  /** Fits rate and burst under a per-minute limit (ours, or a lower one Discogs announces). */
  setLimit(limit: number): void {
    this.rate = Math.max(1, Math.min(this.wanted, limit - 2));
    this.burst = Math.max(1, Math.min(5, limit - 1 - this.rate));
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.rate) / 60_000);
    this.last = now;
  }

  /** Lowers the tokens (possibly below zero: a debt that makes the next requests wait longer). */
  capAt(tokens: number): void {
    this.refill();
    this.tokens = Math.min(this.tokens, tokens);
  }

  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) * 60_000) / this.rate), signal);
    }
  }
}

function headerNumber(headers: Headers, name: string): number | null {
  const v = headers.get(name);
  if (v === null || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Retry-After in seconds or as an HTTP date; null when absent or unreadable. */
function retryAfterMs(headers: Headers, now: number): number | null {
  const v = headers.get('retry-after');
  if (v === null) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.round(Number(v) * 1000);
  const date = Date.parse(v);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

function errorBodyMessage(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed !== null && typeof parsed === 'object' && typeof (parsed as { message?: unknown }).message === 'string') {
      return (parsed as { message: string }).message;
    }
  } catch {
    // not JSON (an HTML error page from a proxy): fall through
  }
  const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return text === '' ? null : text.slice(0, 200);
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const NOT_FOUND_MARK = '__discogsNotFound';

export function createDiscogsClient(options: DiscogsClientOptions): DiscogsClient {
  const userAgent = options.userAgent?.trim();
  if (!userAgent) throw new Error('createDiscogsClient: a userAgent is required (Discogs refuses requests without a unique User-Agent)');
  const baseUrl = (options.baseUrl ?? 'https://api.discogs.com').replace(/\/+$/, '');
  const fetchImpl = options.fetchImpl ?? globalThis.fetch;
  const clock = options.clock ?? realClock;
  const maxRetries = options.maxRetries ?? 4;
  const lowRemaining = options.lowRemaining ?? 5;
  const token = options.token?.trim() || undefined;
  const ourLimit = token ? 60 : 25;
  const bucket = new TokenBucket(clock, options.requestsPerMinute ?? 55, ourLimit);
  let discogsLimit: number | null = null;
  let remaining: number | null = null;

  const headers: Record<string, string> = {
    'User-Agent': userAgent,
    Accept: 'application/vnd.discogs.v2.discogs+json',
  };
  if (token) headers.Authorization = `Discogs token=${token}`;

  /** Follows what Discogs says about its limit and what is left of it in the current window. */
  function observeRateHeaders(h: Headers): void {
    const limit = headerNumber(h, 'x-discogs-ratelimit');
    const used = headerNumber(h, 'x-discogs-ratelimit-used');
    let left = headerNumber(h, 'x-discogs-ratelimit-remaining');
    if (limit !== null && limit > 0) {
      discogsLimit = limit;
      bucket.setLimit(Math.min(ourLimit, limit));
      if (left === null && used !== null) left = limit - used;
    }
    if (left === null) return;
    remaining = left;
    // Few requests left in Discogs' window: each one below the threshold costs one more interval of waiting.
    if (left <= lowRemaining) bucket.capAt(left - lowRemaining);
  }

  function describeFailure(status: number, path: string, message: string | null): string {
    const what = message ? `: ${message}` : '';
    switch (status) {
      case 401:
        return `Discogs refused GET ${path} (401 Unauthorized)${what} ${
          token ? 'The Discogs token was rejected: check it in the config.' : 'This needs a Discogs user token in the config.'
        }`;
      case 403:
        return `Discogs refused GET ${path} (403 Forbidden)${what}`;
      case 404:
        return `Discogs has nothing at GET ${path} (404 Not Found)${what}`;
      case 429:
        return `Discogs kept rate-limiting GET ${path} (429 Too Many Requests) after ${maxRetries + 1} tries${what}`;
      default:
        return status >= 500
          ? `Discogs failed on GET ${path} (HTTP ${status}) after ${maxRetries + 1} tries${what}`
          : `Discogs rejected GET ${path} (HTTP ${status})${what}`;
    }
  }

  async function request(path: string, signal?: AbortSignal): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      await bucket.take(signal);
      let response: Response;
      try {
        response = await fetchImpl(`${baseUrl}${path}`, { headers, signal });
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        if (attempt >= maxRetries) {
          throw new DiscogsApiError(
            `Could not reach Discogs at ${baseUrl} for GET ${path} after ${attempt + 1} tries: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`,
            null,
            path,
            null,
            { cause: err },
          );
        }
        await clock.sleep(Math.min(60_000, 1000 * 2 ** attempt), signal);
        continue;
      }
      observeRateHeaders(response.headers);
      const body = await response.text();
      options.onResponse?.({ method: 'GET', path, status: response.status, attempt });
      if (response.ok) {
        try {
          return JSON.parse(body) as unknown;
        } catch (err) {
          throw new DiscogsApiError(
            `Discogs sent a response to GET ${path} that is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
            response.status,
            path,
          );
        }
      }
      const message = errorBodyMessage(body);
      if (RETRYABLE_STATUS.has(response.status) && attempt < maxRetries) {
        const backoff = Math.min(60_000, 1000 * 2 ** attempt);
        const wait = response.status === 429 ? (retryAfterMs(response.headers, clock.now()) ?? backoff) : backoff;
        if (response.status === 429) bucket.capAt(0);
        await clock.sleep(wait, signal);
        continue;
      }
      throw new DiscogsApiError(describeFailure(response.status, path, message), response.status, path, message);
    }
  }

  async function cached(key: string, path: string, useCache: boolean, signal?: AbortSignal): Promise<unknown> {
    if (useCache && options.cache) {
      const hit = await options.cache.get(key);
      if (hit !== undefined) {
        if (hit !== null && typeof hit === 'object' && NOT_FOUND_MARK in hit) {
          const message = String((hit as Record<string, unknown>)[NOT_FOUND_MARK]);
          throw new DiscogsApiError(describeFailure(404, path, message) + ' (cached)', 404, path, message);
        }
        return hit;
      }
    }
    try {
      const value = await request(path, signal);
      if (useCache && options.cache) await options.cache.set(key, value);
      return value;
    } catch (err) {
      // A release that does not exist stays missing: remember it so enrichment does not ask again.
      if (useCache && options.cache && err instanceof DiscogsApiError && err.status === 404) {
        await options.cache.set(key, { [NOT_FOUND_MARK]: err.discogsMessage ?? 'not found' });
      }
      throw err;
    }
  }

  function checkPositiveInt(name: string, n: number): void {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive whole number, got ${n}`);
  }

  async function getRelease(id: number, opts: { signal?: AbortSignal } = {}): Promise<Release> {
    checkPositiveInt('release id', id);
    const path = `/releases/${id}`;
    const doc = await cached(`GET ${path}`, path, true, opts.signal);
    try {
      return releaseFromApiRelease(doc);
    } catch (err) {
      throw new DiscogsApiError(`Discogs sent an unreadable release for GET ${path}: ${err instanceof Error ? err.message : String(err)}`, 200, path);
    }
  }

  async function listPage(
    kind: 'collection' | 'wantlist',
    user: string,
    page: number,
    opts: { perPage?: number; signal?: AbortSignal },
  ): Promise<ListPage> {
    if (typeof user !== 'string' || user.trim() === '') throw new RangeError('a Discogs username is required');
    checkPositiveInt('page', page);
    const perPage = opts.perPage ?? 100;
    checkPositiveInt('perPage', perPage);
    const u = encodeURIComponent(user.trim());
    const base = kind === 'collection' ? `/users/${u}/collection/folders/0/releases` : `/users/${u}/wants`;
    const path = `${base}?page=${page}&per_page=${perPage}`;
    const body = await cached(`GET ${path}`, path, options.cacheListPages === true, opts.signal);
    const field = kind === 'collection' ? 'releases' : 'wants';
    const entries = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined;
    if (!Array.isArray(entries)) {
      throw new DiscogsApiError(`Discogs sent no "${field}" list for GET ${path}`, 200, path);
    }
    const pagination = ((body as Record<string, unknown>).pagination ?? {}) as Record<string, unknown>;
    const items = entries.map((entry, i) => {
      try {
        const item = itemFromListEntry(entry, kind, 0);
        return { release: item.release, listKind: kind, dateAdded: item.dateAdded, rating: item.rating };
      } catch (err) {
        throw new DiscogsApiError(
          `Discogs sent an unreadable ${field}[${i}] for GET ${path}: ${err instanceof Error ? err.message : String(err)}`,
          200,
          path,
        );
      }
    });
    const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
    return {
      page: num(pagination.page, page),
      pages: num(pagination.pages, page),
      perPage: num(pagination.per_page, perPage),
      totalItems: num(pagination.items, items.length),
      items,
    };
  }

  async function enrichMissing(
    releases: Release[],
    onProgress?: (p: EnrichProgress) => void,
    opts: { signal?: AbortSignal } = {},
  ): Promise<EnrichResult> {
    const out = releases.slice();
    const todo = releases.map((r, index) => ({ r, index })).filter(({ r }) => needsEnrichment(r));
    const failed: { id: number; message: string }[] = [];
    let enriched = 0;
    let done = 0;
    // A collection can list a release twice (two copies): ask Discogs once per id, cache or not.
    const seen = new Map<number, Promise<Release>>();
    for (const { r, index } of todo) {
      let last: EnrichProgress['last'];
      try {
        let pending = seen.get(r.id);
        if (!pending) {
          pending = getRelease(r.id, opts);
          seen.set(r.id, pending);
        }
        const fromApi = await pending;
        const merged = mergeRelease(r, fromApi);
        out[index] = merged;
        enriched++;
        last = { id: r.id, release: merged, error: null };
      } catch (err) {
        // A missing release or an unreadable document affects that record only; anything else
        // (bad token, Discogs unreachable, rate limit exhausted, abort) would fail every record: stop.
        const recordOnly = err instanceof DiscogsApiError && (err.status === 404 || err.status === 200);
        if (!recordOnly) throw err;
        failed.push({ id: r.id, message: err.message });
        last = { id: r.id, release: null, error: err.message };
      }
      done++;
      onProgress?.({ done, total: todo.length, enriched, failed: failed.length, last });
    }
    return { releases: out, enriched, failed };
  }

  return {
    getRelease,
    getCollectionPage: (user, page, opts = {}) => listPage('collection', user, page, opts),
    getWantlistPage: (user, page, opts = {}) => listPage('wantlist', user, page, opts),
    enrichMissing,
    rateLimit: () => ({ requestsPerMinute: bucket.rate, burst: bucket.burst, discogsLimit, remaining }),
  };
}

/** A cache in memory (tests, one-off runs); the backend keeps its cache in SQLite. */
export function createMemoryCache(): DiscogsCache & { size(): number } {
  const map = new Map<string, unknown>();
  return {
    get: async (key) => (map.has(key) ? structuredClone(map.get(key)) : undefined),
    set: async (key, value) => {
      map.set(key, structuredClone(value));
    },
    size: () => map.size,
  };
}
