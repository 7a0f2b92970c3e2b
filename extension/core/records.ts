// Page records → full releases, and the page's badge assignment (the same selectBatch as the popup).
import { parseRelease, type Release } from '../../shared/schemas';
import { explorationRate, selectBatch } from '../../shared/bandit';
import type { PageRecord, RecordScore } from './messaging';

export const PAGE_BATCH_SIZE = 20;

/** A page record as a Release (missing fields become null / []); throws a readable error for garbage. */
export function releaseFromPageRecord(record: PageRecord): Release {
  return parseRelease({ ...record.release, id: record.releaseId, masterId: record.masterId ?? record.release.masterId ?? null });
}

/** Releases of a page, first occurrence of each id; records that cannot be read are reported, not fatal. */
export function pageReleases(records: PageRecord[]): { releases: Release[]; rejected: { releaseId: unknown; error: string }[] } {
  const seen = new Set<number>();
  const releases: Release[] = [];
  const rejected: { releaseId: unknown; error: string }[] = [];
  for (const record of records) {
    try {
      const release = releaseFromPageRecord(record);
      if (seen.has(release.id)) continue;
      seen.add(release.id);
      releases.push(release);
    } catch (err) {
      rejected.push({ releaseId: record?.releaseId, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { releases, rejected };
}

export interface ScoredRelease {
  releaseId: number;
  mean: number;
  uncertainty: number;
  aleatoric: number;
}

/**
 * Exploit / explore badges for a page: selectBatch over the page's unlabelled records with a batch of
 * min(20, n), so the schedule's explore share applies to every page (b = 0: 12 of 20 explore, 3 of 5).
 * Labelled records are no longer candidates (the bandit only picks unlabelled ones): they get 'none'.
 */
export function assignStrategies(scores: ScoredRelease[], labelled: ReadonlySet<number>, batchNumber: number): RecordScore[] {
  const candidates = scores.filter((s) => !labelled.has(s.releaseId));
  const batchSize = Math.min(PAGE_BATCH_SIZE, candidates.length);
  const picked = new Map<number, 'exploit' | 'explore'>();
  if (batchSize > 0) {
    for (const item of selectBatch(candidates, { batchNumber, batchSize }).items) picked.set(item.releaseId, item.strategy);
  }
  return scores.map((s) => ({
    releaseId: s.releaseId,
    strategy: picked.get(s.releaseId) ?? 'none',
    mean: s.mean,
    uncertainty: s.uncertainty,
    aleatoric: s.aleatoric,
  }));
}

export { explorationRate };
