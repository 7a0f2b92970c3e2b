// labels.submit: idempotent on clientId, records sent along are stored first, every label checked
// against its batch, and the batches whose picks are now all answered are completed (their online
// update is due). One transaction: any refusal stores nothing.
import type { KeeperLabel, Release } from '../../shared/schemas';
import type { Db, Queries } from '../db';
import { DomainError } from '../errors';
import { missingIds, upsertReleasesIn } from '../records';
import { answerPicks, picksOf } from '../bandit';
import { insertLabels, storedClientIds } from './repository';

export type LabelSubmission = KeeperLabel & { record?: Release };

export interface SubmitResult {
  accepted: number;
  duplicates: number;
  /** Batches whose every pick is now labelled (their online update is due). */
  completedBatchIds: number[];
}

/**
 * labelledAt as stored: UTC with milliseconds and a Z (what Date.toISOString() writes), so labels sort
 * as text whatever offset the device sent, and never later than `now` (the arrival): a device whose
 * clock runs ahead must not win over every later correction.
 */
export function normaliseLabelledAt(labelledAt: string, now: Date): string {
  const t = Date.parse(labelledAt);
  if (Number.isNaN(t)) throw new DomainError('invalid', `labelledAt ${JSON.stringify(labelledAt.slice(0, 40))} is not a date.`);
  return new Date(Math.min(t, now.getTime())).toISOString();
}

/**
 * Stores new labels in one transaction. Labels whose clientId is already stored (or repeated in this
 * request) are duplicates and change nothing. Unknown release ids are refused ('not-found') unless the
 * label carries its `record` (a record seen on a Discogs page), which is upserted first. A batchId must
 * name a stored batch that picked that release. Any refusal rolls the whole request back.
 */
export async function submitLabels(db: Db, deviceId: number | null, labels: LabelSubmission[], source: 'user' | 'import' = 'user'): Promise<SubmitResult> {
  return db.transaction(async (q) => {
    const nowDate = new Date();
    const now = nowDate.toISOString();
    const existing = await storedClientIds(q, labels.map((l) => l.clientId));
    const fresh: LabelSubmission[] = [];
    const seen = new Set<string>();
    for (const label of labels) {
      if (existing.has(label.clientId) || seen.has(label.clientId)) continue;
      seen.add(label.clientId);
      fresh.push(label);
    }
    const duplicates = labels.length - fresh.length;
    if (fresh.length === 0) return { accepted: 0, duplicates, completedBatchIds: [] };

    const records = fresh.flatMap((l) => (l.record ? [l.record] : []));
    for (const l of fresh) {
      if (l.record && l.record.id !== l.releaseId) {
        throw new DomainError('invalid', `Label ${l.clientId}: record.id ${l.record.id} does not match releaseId ${l.releaseId}.`);
      }
    }
    if (records.length > 0) await upsertReleasesIn(q, records, 'page', now);
    const missing = await missingIds(q, fresh.map((l) => l.releaseId));
    if (missing.length > 0) {
      throw new DomainError(
        'not-found',
        `Unknown release id${missing.length > 1 ? 's' : ''} ${missing.slice(0, 20).join(', ')}: send the record with its label (field \`record\`) or upsert it with records.upsert first. Nothing was stored.`,
      );
    }
    await checkBatches(q, fresh);
    await insertLabels(
      q,
      fresh.map((l) => ({ clientId: l.clientId, releaseId: l.releaseId, keeper: l.keeper, batchId: l.batchId ?? null, labelledAt: normaliseLabelledAt(l.labelledAt, nowDate) })),
      { source, deviceId, receivedAt: now },
    );
    const completedBatchIds = await answerPicks(q, fresh.map((l) => l.clientId), now);
    return { accepted: fresh.length, duplicates, completedBatchIds };
  });
}

/** Every label with a batchId names a stored batch that picked its release. */
async function checkBatches(q: Queries, labels: LabelSubmission[]): Promise<void> {
  const withBatch = labels.filter((l) => l.batchId !== undefined && l.batchId !== null);
  if (withBatch.length === 0) return;
  const picks = await picksOf(q, [...new Set(withBatch.map((l) => l.batchId!))]);
  const batches = new Set(picks.map((p) => p.batchId));
  const pairs = new Set(picks.map((p) => `${p.batchId}:${p.releaseId}`));
  for (const l of withBatch) {
    if (!batches.has(l.batchId!)) {
      throw new DomainError('not-found', `Label ${l.clientId}: unknown batch ${l.batchId}. Nothing was stored.`);
    }
    if (!pairs.has(`${l.batchId}:${l.releaseId}`)) {
      throw new DomainError('invalid', `Label ${l.clientId}: release ${l.releaseId} was not picked in batch ${l.batchId}. Nothing was stored.`);
    }
  }
}
