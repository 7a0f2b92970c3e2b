// Page records → full releases, and the page's badge assignment (the same selectBatch as the popup).
import { parseRelease, type Release, type Strategy } from '../../shared/schemas';
import { selectBatch } from '../../shared/bandit';
import type { PageRecord, RecordScore } from './messaging';
import { recordKey, type RecordKey } from './recordKey';

export const PAGE_BATCH_SIZE = 20;

/** A page's picks: one batch of 20, or all of its unlabelled records when it has fewer. */
export function pageBatchSize(candidates: number): number {
  return Math.min(PAGE_BATCH_SIZE, candidates);
}

/**
 * A page record as a Release for the model (missing fields become null / []); throws a readable error
 * for garbage. A master-only record (no release id) gets its master id as its id: the model reads no
 * ids, and such a Release stays in the background (never upserted to the backend, never labelled).
 */
export function releaseFromPageRecord(record: PageRecord): Release {
  const masterId = record.masterId ?? record.release.masterId ?? null;
  if (record.releaseId === null || record.releaseId === undefined) {
    if (masterId === null) throw new Error('A page record needs a releaseId or, for a master-only row, a masterId');
    return parseRelease({ ...record.release, id: masterId, masterId });
  }
  return parseRelease({ ...record.release, id: record.releaseId, masterId });
}

/** One record of a page, ready for the model. */
export interface PageEntry {
  key: RecordKey;
  /** null for a master-only record. */
  releaseId: number | null;
  masterId: number | null;
  release: Release;
}

/** Records of a page, first occurrence of each key; records that cannot be read are reported, not fatal. */
export function pageReleases(records: PageRecord[]): { entries: PageEntry[]; rejected: { releaseId: unknown; error: string }[] } {
  const seen = new Set<RecordKey>();
  const entries: PageEntry[] = [];
  const rejected: { releaseId: unknown; error: string }[] = [];
  for (const record of records) {
    try {
      const release = releaseFromPageRecord(record);
      const releaseId = record.releaseId ?? null;
      const key = recordKey({ releaseId, masterId: release.masterId });
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push({ key, releaseId, masterId: release.masterId ?? null, release });
    } catch (err) {
      rejected.push({ releaseId: record?.releaseId, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { entries, rejected };
}

export interface ScoredRecord {
  /** null for a master-only record (then masterId is set). */
  releaseId: number | null;
  masterId?: number | null;
  mean: number;
  uncertainty: number;
  aleatoric: number;
}

/**
 * Exploit / explore badges for a page: selectBatch over the page's unlabelled records with a batch of
 * min(20, n), so the schedule's explore share applies to every page (b = 0: 12 of 20 explore, 3 of 5).
 * Labelled releases are no longer candidates (the bandit only picks unlabelled ones): they get 'none'.
 * Master-only records (never labelled) are candidates like any release.
 */
export function assignStrategies(scores: ScoredRecord[], labelled: ReadonlySet<number>, batchNumber: number): RecordScore[] {
  const candidates = scores.filter((s) => s.releaseId === null || !labelled.has(s.releaseId));
  const batchSize = pageBatchSize(candidates.length);
  // selectBatch names candidates by a positive id and breaks ties by it: number them in release-id order
  // (then masters by master id), so release-only pages get exactly the picks they got before masters.
  const order = [...candidates].sort(
    (a, b) => (a.releaseId ?? Infinity) - (b.releaseId ?? Infinity) || (a.masterId ?? 0) - (b.masterId ?? 0),
  );
  const rank = new Map(order.map((c, i) => [c, i + 1]));
  const picked = new Map<ScoredRecord, Strategy>();
  if (batchSize > 0) {
    const byRank = new Map(order.map((c, i) => [i + 1, c]));
    const items = selectBatch(
      candidates.map((c) => ({ releaseId: rank.get(c)!, mean: c.mean, uncertainty: c.uncertainty })),
      { batchNumber, batchSize },
    ).items;
    for (const item of items) picked.set(byRank.get(item.releaseId)!, item.strategy);
  }
  return scores.map((s) => ({
    releaseId: s.releaseId,
    ...(s.masterId !== null && s.masterId !== undefined ? { masterId: s.masterId } : {}),
    strategy: picked.get(s) ?? 'none',
    mean: s.mean,
    uncertainty: s.uncertainty,
    aleatoric: s.aleatoric,
    learned: true,
  }));
}

function scoreOf(s: ScoredRecord, strategy: RecordScore['strategy'], learned: boolean): RecordScore {
  return {
    releaseId: s.releaseId,
    ...(s.masterId !== null && s.masterId !== undefined ? { masterId: s.masterId } : {}),
    strategy,
    mean: s.mean,
    uncertainty: s.uncertainty,
    aleatoric: s.aleatoric,
    learned,
  };
}

/**
 * Before the model has learned from any label: no record is a better pick than another, so every
 * unlabelled record is one to learn from ('explore'), none is exploited, and the scores are marked
 * unlearned (the badges show no numbers). Labelled releases get 'none'.
 */
export function assignUnlearned(scores: ScoredRecord[], labelled: ReadonlySet<number>, pendingLabels: number): RecordScore[] {
  return scores.map((s) => ({
    ...scoreOf(s, s.releaseId !== null && labelled.has(s.releaseId) ? 'none' : 'explore', false),
    pendingLabels,
  }));
}

/** A keep-probability this far below the mean (one standard deviation) still above it makes a high-confidence keeper. */
export const KEEPER_THRESHOLD = 0.5;

/** What a page's posterior split compared each record with (the "Why shown?" sentences state it). */
export interface PosteriorPage {
  /** Unlabelled records on the page (the candidates). */
  candidates: number;
  /** Median posterior standard deviation among them. */
  medianUncertainty: number;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Exploit / explore badges from the Bayesian head (neural-ts): its mean and standard deviation are a
 * posterior, small near labelled records and large on records unlike any, so the split reads them as
 * they are instead of through a fixed schedule:
 * - exploit ("High-confidence keeper"): mean − std ≥ 50%, kept more likely than not even one standard
 *   deviation lower;
 * - explore ("Learning from this"): otherwise, when its std is at or above the page's median std (the
 *   labels say least about it of this page's records);
 * - none: the rest (the model is fairly sure it is not a keeper), and labelled releases.
 */
export function assignByPosterior(scores: ScoredRecord[], labelled: ReadonlySet<number>): { items: RecordScore[]; page: PosteriorPage } {
  const isCandidate = (s: ScoredRecord) => s.releaseId === null || !labelled.has(s.releaseId);
  const candidates = scores.filter(isCandidate);
  const page: PosteriorPage = { candidates: candidates.length, medianUncertainty: median(candidates.map((c) => c.uncertainty)) };
  const items = scores.map((s) => {
    if (!isCandidate(s)) return scoreOf(s, 'none', true);
    if (s.mean - s.uncertainty >= KEEPER_THRESHOLD) return scoreOf(s, 'exploit', true);
    return scoreOf(s, s.uncertainty >= page.medianUncertainty ? 'explore' : 'none', true);
  });
  return { items, page };
}

