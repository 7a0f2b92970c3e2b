// Keeper labels: submission (attached to the batches' picks), sync by cursor, the latest label per record.
export { submitLabels, normaliseLabelledAt, type LabelSubmission, type SubmitResult } from './submit';
export { hasImportedLabels, insertImportedKeepers, labelsSince, labelsStamp, latestLabelled, type SyncedLabel } from './repository';
