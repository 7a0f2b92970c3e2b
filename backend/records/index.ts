// Records (releases): storage, sampling of the unlabelled pool, the import sink, enrichment from the
// Discogs API. The importers themselves (file formats) are shared/import's.
export { mergeRelease, missingIds, recordsToEnrich, releasesByIds, sampleUnlabelled, upsertReleases, upsertReleasesIn, type RecordSource } from './repository';
export { createImportSink, type ImportSinkOptions, type SqliteImportSink } from './importSink';
export { configFile, discogsToken, enrichRecords, sqliteCache } from './enrich';
