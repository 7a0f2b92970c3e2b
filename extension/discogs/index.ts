// Discogs knowledge in one place: URLs, selectors, extractors.
export * from './urls';
export * from './parse';
export * from './extract';
export * as selectors from './selectors';
