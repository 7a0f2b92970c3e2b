// "Why shown?" on the device (DESIGN §8): the local model supplies the evidence (embeddings, occlusion
// deltas) and shared/explain turns it into sentences; nothing here writes a reason itself.
// The numbers a reason states are the badge's: the score the page was given (passed in, or remembered
// from the last scoreRecords), not a new prediction. Monte-Carlo dropout draws its masks per batch, so
// the same record scored again in another batch gets slightly other numbers (77% ± 14 beside a badge
// saying 76% ± 15).
import { explainRecord, occlusionVariants, type Reason } from '../../shared/explain';
import type { Release } from '../../shared/schemas';
import type { ShownScore } from './messaging';
import type { Scorer } from './scorer';

export interface LabelledRecord {
  releaseId: number;
  keeper: boolean;
  release: Release | null;
}

export interface LocalExplainInput {
  release: Release;
  /** What the badge shows (strategy and numbers); without it the record is scored on its own, strategy 'none'. */
  shown?: ShownScore;
  batchNumber: number;
  /** How many picks the record's page had (min(20, records on the page)); the schedule's default 20 when unknown. */
  batchSize?: number;
  labels: LabelledRecord[];
}

/** Labelled records compared in embedding space: the most recent ones, at most this many. */
const MAX_LABELLED_COMPARED = 300;

const STRATEGIES: ReadonlySet<string> = new Set(['exploit', 'explore', 'none']);

/** Refuses a shown score that could not have come from a badge, naming the bad field. */
export function checkShownScore(score: ShownScore): ShownScore {
  if (!STRATEGIES.has(score.strategy)) throw new Error(`explainRecord: score.strategy must be exploit, explore or none, got ${String(score.strategy)}`);
  if (!(score.mean >= 0 && score.mean <= 1)) throw new Error(`explainRecord: score.mean must be in [0, 1], got ${String(score.mean)}`);
  if (!(score.uncertainty >= 0 && Number.isFinite(score.uncertainty))) throw new Error(`explainRecord: score.uncertainty must be ≥ 0, got ${String(score.uncertainty)}`);
  if (!(score.aleatoric >= 0 && Number.isFinite(score.aleatoric))) throw new Error(`explainRecord: score.aleatoric must be ≥ 0, got ${String(score.aleatoric)}`);
  return { strategy: score.strategy, mean: score.mean, uncertainty: score.uncertainty, aleatoric: score.aleatoric };
}

export function explainLocally(scorer: Scorer, input: LocalExplainInput): Reason[] {
  const { release, batchNumber } = input;
  const labelled = input.labels.filter((l) => l.release && l.release.id !== release.id).slice(-MAX_LABELLED_COMPARED);
  const variants = occlusionVariants(release);
  // One deterministic batch (dropout off, as the backend's explain.record does): the record, its occlusion
  // variants, then the labelled records. Deltas are then free of Monte-Carlo noise; embeddings have none.
  const det = scorer.predict([release, ...variants.map((v) => v.release), ...labelled.map((l) => l.release!)], { withEmbedding: true, deterministic: true });
  const shown = input.shown ?? { ...scorer.predict([release])[0]!, strategy: 'none' as const };
  const strategy = shown.strategy;
  return explainRecord({
    target: {
      release,
      mean: shown.mean,
      uncertainty: shown.uncertainty,
      aleatoric: shown.aleatoric,
      embedding: det[0]!.embedding ?? [],
      strategy,
    },
    labelled: labelled.map((l, i) => ({ release: l.release!, keeper: l.keeper, embedding: det[1 + variants.length + i]!.embedding ?? [] })),
    occlusion: variants.map((v, i) => ({ feature: v.feature, detail: v.detail, delta: det[0]!.mean - det[1 + i]!.mean })),
    schedule: strategy === 'explore' ? { batchNumber, ...(input.batchSize ? { batchSize: input.batchSize } : {}) } : undefined,
  });
}

/**
 * The backend's reasons with the badge's numbers: the sentences that state the record's own score and
 * strategy (schedule, uncertainty) come from the local explanation built on the badge's score; the
 * evidence (nearest labelled records, features that moved the score) from the backend, which sees every
 * device's labels. For 'none' badges, as shared/explain does, one of each kind of evidence.
 */
export function withShownNumbers(remote: Reason[], local: Reason[], strategy: ShownScore['strategy']): Reason[] {
  const frame = local.filter((r) => r.kind === 'schedule' || r.kind === 'uncertainty');
  const neighbours = remote.filter((r) => r.kind === 'similar-keepers');
  const features = remote.filter((r) => r.kind === 'feature');
  if (strategy === 'none') return [...frame, ...neighbours.slice(0, 1), ...features.slice(0, 1)];
  return [...frame, ...neighbours, ...features];
}

/**
 * "Why shown?" for a badge: the backend's reasons when `remote` answers (with the badge's numbers put
 * in when the badge's score is known), else the device's own. A backend failure falls back to the device.
 */
export async function explainShown(scorer: Scorer, input: LocalExplainInput, remote: (() => Promise<Reason[]>) | null): Promise<Reason[]> {
  if (remote) {
    try {
      const reasons = await remote();
      if (reasons.length > 0) return input.shown ? withShownNumbers(reasons, explainLocally(scorer, input), input.shown.strategy) : reasons;
    } catch (err) {
      console.warn('[keepers] explain.record failed, explaining locally:', err instanceof Error ? err.message : err);
    }
  }
  return explainLocally(scorer, input);
}
