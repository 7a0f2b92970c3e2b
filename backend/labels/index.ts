// Keeper labels: submission, sync by cursor, the latest label per record.
export * from './submit';
