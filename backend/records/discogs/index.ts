// The Discogs API client (backend only): see ./client.
export {
  createDiscogsClient,
  createMemoryCache,
  DiscogsApiError,
  keepersUserAgent,
  mergeRelease,
  needsEnrichment,
  realClock,
  type Clock,
  type DiscogsCache,
  type DiscogsClient,
  type DiscogsClientOptions,
  type EnrichProgress,
  type EnrichResult,
  type ListItem,
  type ListPage,
} from './client';
