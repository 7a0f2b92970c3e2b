// The identity of a record on a page, for the content script and the background alike. Kept apart from
// messaging.ts so the content features can use it without loading the messaging library.

/** One record on a page: 'r:<release id>' for releases, 'm:<master id>' for master-only rows. */
export type RecordKey = `r:${number}` | `m:${number}`;

/** The key of a record or score; throws when it has neither a release id nor a master id. */
export function recordKey(record: { releaseId: number | null; masterId?: number | null }): RecordKey {
  if (record.releaseId !== null && record.releaseId !== undefined) return `r:${record.releaseId}`;
  if (record.masterId !== null && record.masterId !== undefined) return `m:${record.masterId}`;
  throw new Error('A page record needs a releaseId or, for a master-only row, a masterId');
}
