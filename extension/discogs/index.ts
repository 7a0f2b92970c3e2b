// Discogs knowledge in one place: URLs (urls.ts), selectors and text patterns (selectors.ts, used by the
// extractors only), text parsing and the extractors.
export * from './urls';
export * from './parse';
export * from './extract';
