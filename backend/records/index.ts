// Records (releases): storage, the import sink, enrichment from the Discogs API.
export * from './repository';
export * from './importSink';
export * from './enrich';
