// The Discogs API client (backend only): see ./client.
export {
  createDiscogsClient,
  createMemoryCache,
  DiscogsApiError,
  keepersUserAgent,
  type DiscogsCache,
  type DiscogsClient,
  type DiscogsClientOptions,
  type EnrichProgress,
} from './client';
