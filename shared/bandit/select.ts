// Batch selection of the `seed` policy (DESIGN §4): a decaying share of the batch explores (highest
// uncertainty), the rest exploits (highest mean − uncertainty). Pure and deterministic: the same
// candidates give the same batch, so a batch can be replayed and audited.

/**
 * The exploration schedule and batch size as the user specified them: the one source of the schedule
 * (the `seed` policy selects with it) and of shared/model's DEFAULT_CONFIG.batchSize.
 */
export const EXPLORATION_DEFAULTS = { start: 0.6, decay: 0.95, floor: 0.2, batchSize: 20 } as const;

export interface ExplorationSchedule {
  start: number;
  decay: number;
  floor: number;
}

export interface Candidate {
  releaseId: number;
  mean: number;
  uncertainty: number;
}

export type SelectedItem = {
  releaseId: number;
  strategy: 'exploit' | 'explore';
  /** exploit: mean − uncertainty; explore: uncertainty. */
  score: number;
  mean: number;
  uncertainty: number;
  /**
   * Probability that this policy picks this record, with this strategy, given the same candidates and scores.
   * Selection here is a deterministic top-k, so every pick has propensity 1 (and every record left out 0).
   * Stored with each label so off-policy evaluation can weight it; randomised policies (Thompson sampling)
   * must store their own estimate instead.
   */
  propensity: number;
};

export interface SelectBatchOptions {
  /** Batches labelled so far (0 for the first batch). */
  batchNumber: number;
  batchSize?: number;
  /** Defaults to EXPLORATION_DEFAULTS (the specified schedule). */
  exploration?: ExplorationSchedule;
}

function checkBatchNumber(batchNumber: number): void {
  if (!Number.isInteger(batchNumber) || batchNumber < 0) {
    throw new RangeError(`batchNumber must be a non-negative integer, got ${String(batchNumber)}`);
  }
}

/** r(b) = max(floor, start · decay^b): 0.6 at b = 0, 0.2 from b = 22 on with the defaults. */
export function explorationRate(batchNumber: number, schedule: ExplorationSchedule = EXPLORATION_DEFAULTS): number {
  checkBatchNumber(batchNumber);
  return Math.max(schedule.floor, schedule.start * Math.pow(schedule.decay, batchNumber));
}

/** round(batchSize · r(b)): 12 at b = 0, 7 at b = 10, 4 from b = 22 on (batch of 20). */
export function exploreCount(
  batchNumber: number,
  batchSize: number = EXPLORATION_DEFAULTS.batchSize,
  schedule: ExplorationSchedule = EXPLORATION_DEFAULTS,
): number {
  if (!Number.isInteger(batchSize) || batchSize < 0) {
    throw new RangeError(`batchSize must be a non-negative integer, got ${String(batchSize)}`);
  }
  return Math.round(batchSize * explorationRate(batchNumber, schedule));
}

/** Higher score first; equal scores by releaseId ascending, so ties never depend on input order. */
function byScoreThenId(a: { score: number; releaseId: number }, b: { score: number; releaseId: number }): number {
  return b.score - a.score || a.releaseId - b.releaseId;
}

/**
 * Picks up to batchSize records: first N = size − M to exploit (top mean − uncertainty), then M to explore
 * (top uncertainty among the rest), M = exploreCount.
 *
 * - Duplicate releaseIds: the first occurrence is kept.
 * - Candidates whose releaseId is not a positive integer, or whose mean or uncertainty is not a finite number
 *   (NaN from a failed forward pass), are left out: they cannot be ranked and their numbers cannot be stored.
 * - Fewer usable candidates than batchSize: all of them are shown, and the explore share is kept at the same
 *   rate: M = round(n · r(b)), N = n − M (5 candidates at b = 0 → 3 explore, 2 exploit).
 */
export function selectBatch(
  candidates: readonly Candidate[],
  opts: SelectBatchOptions,
): { exploreRate: number; items: SelectedItem[] } {
  const batchSize = opts.batchSize ?? EXPLORATION_DEFAULTS.batchSize;
  if (!Number.isInteger(batchSize) || batchSize < 0) {
    throw new RangeError(`batchSize must be a non-negative integer, got ${String(batchSize)}`);
  }
  const schedule = opts.exploration ?? EXPLORATION_DEFAULTS;
  const exploreRate = explorationRate(opts.batchNumber, schedule);

  const seen = new Set<number>();
  const usable: Candidate[] = [];
  for (const c of candidates) {
    if (!Number.isSafeInteger(c.releaseId) || c.releaseId <= 0 || seen.has(c.releaseId)) continue;
    seen.add(c.releaseId);
    if (!Number.isFinite(c.mean) || !Number.isFinite(c.uncertainty)) continue;
    usable.push(c);
  }

  const total = Math.min(usable.length, batchSize);
  const exploreTotal = total === batchSize ? exploreCount(opts.batchNumber, batchSize, schedule) : Math.round(total * exploreRate);
  const exploitTotal = total - exploreTotal;

  const exploit = usable
    .map((c) => ({ ...c, score: c.mean - c.uncertainty }))
    .sort(byScoreThenId)
    .slice(0, exploitTotal);
  const exploited = new Set(exploit.map((c) => c.releaseId));
  const explore = usable
    .filter((c) => !exploited.has(c.releaseId))
    .map((c) => ({ ...c, score: c.uncertainty }))
    .sort(byScoreThenId)
    .slice(0, exploreTotal);

  const item = (c: Candidate & { score: number }, strategy: SelectedItem['strategy']): SelectedItem => ({
    releaseId: c.releaseId,
    strategy,
    score: c.score,
    mean: c.mean,
    uncertainty: c.uncertainty,
    propensity: 1,
  });
  return {
    exploreRate,
    items: [...exploit.map((c) => item(c, 'exploit')), ...explore.map((c) => item(c, 'explore'))],
  };
}
