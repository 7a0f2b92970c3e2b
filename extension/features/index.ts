// Overlay features on Discogs pages, one per file, and the runner that drives them.
export * from './types';
export * from './badge';
export * from './runner';
export { recordBadges } from './record-badges';
export { releaseHeaderBadge } from './release-header-badge';
export { whyShown } from './why-shown';
export { labelButtons } from './label-buttons';
