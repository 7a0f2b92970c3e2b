// "Why shown?" on the device: the local model supplies the evidence (embeddings, occlusion deltas) and
// shared/explain turns it into sentences; the few sentences written here state the badge's own numbers
// (the Bayesian head's page split) or what the model has not learned yet.
// The numbers a reason states are the badge's: the score the page was given (passed in, or remembered
// from the last scoreRecords), not a new prediction. Monte-Carlo dropout draws its masks per batch, so
// the same record scored again in another batch gets slightly other numbers (77% ± 14 beside a badge
// saying 76% ± 15).
// Before the model has learned from any label there is no evidence: the reasons say what it knows
// (nothing yet) and how to teach it, from the state of this device (unlearnedReasons).
import { explainRecord, occlusionVariants } from '../../shared/explain';
import { formatPoints, formatProbability, formatProbabilityInterval, STRATEGY_TEXT } from '../../shared/format';
import { ShownStrategySchema, type Reason, type Release } from '../../shared/schemas';
import type { ShownScore } from './messaging';
import { KEEPER_THRESHOLD, type PosteriorPage } from './records';
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
  /** The page's posterior split (Bayesian head) the badge came from: what the record was compared with. */
  page?: PosteriorPage;
}

/** Labelled records compared in embedding space: the most recent ones, at most this many. */
const MAX_LABELLED_COMPARED = 300;

const STRATEGIES: ReadonlySet<string> = new Set(ShownStrategySchema.options);

/** Refuses a shown score that could not have come from a badge, naming the bad field. */
export function checkShownScore(score: ShownScore): ShownScore {
  if (!STRATEGIES.has(score.strategy)) throw new Error(`explainRecord: score.strategy must be exploit, explore or none, got ${String(score.strategy)}`);
  if (!(score.mean >= 0 && score.mean <= 1)) throw new Error(`explainRecord: score.mean must be in [0, 1], got ${String(score.mean)}`);
  if (!(score.uncertainty >= 0 && Number.isFinite(score.uncertainty))) throw new Error(`explainRecord: score.uncertainty must be ≥ 0, got ${String(score.uncertainty)}`);
  if (!(score.aleatoric >= 0 && Number.isFinite(score.aleatoric))) throw new Error(`explainRecord: score.aleatoric must be ≥ 0, got ${String(score.aleatoric)}`);
  if (score.learned !== undefined && typeof score.learned !== 'boolean') throw new Error(`explainRecord: score.learned must be true or false, got ${String(score.learned)}`);
  const checked: ShownScore = { strategy: score.strategy, mean: score.mean, uncertainty: score.uncertainty, aleatoric: score.aleatoric };
  return score.learned === undefined ? checked : { ...checked, learned: score.learned };
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/**
 * What a badge of the Bayesian head's page split (records.assignByPosterior) means, with the record's
 * own numbers and, when known, the page's median uncertainty it was compared with.
 */
export function posteriorPickReason(shown: ShownScore, page: PosteriorPage | undefined, own: LabelledRecord | undefined): Reason {
  const chance = `predicted keep chance ${formatProbabilityInterval(shown.mean, shown.uncertainty)} points`;
  const lower = formatProbability(Math.max(0, shown.mean - shown.uncertainty));
  const threshold = formatProbability(KEEPER_THRESHOLD);
  const median = page ? `the median of this page's ${plural(page.candidates, 'unlabelled record')} (± ${formatPoints(page.medianUncertainty)} points)` : null;
  switch (shown.strategy) {
    case 'exploit':
      return { kind: 'schedule', text: `${STRATEGY_TEXT.exploit}: ${chance}; even one standard deviation lower (${lower}) it is at least ${threshold}`, weight: shown.mean - shown.uncertainty };
    case 'explore':
      return {
        kind: 'schedule',
        text: median
          ? `${STRATEGY_TEXT.explore}: ${chance}; its uncertainty is at or above ${median}: your labels say least about records like it, so labelling it teaches the model most`
          : `${STRATEGY_TEXT.explore}: ${chance}; your labels say little about records like it, so labelling it teaches the model most`,
        weight: shown.uncertainty,
      };
    case 'none':
      if (own) return { kind: 'schedule', text: `Already labelled (${own.keeper ? 'kept' : 'passed on'}): ${chance}`, weight: shown.mean };
      return {
        kind: 'schedule',
        text: median
          ? `Not picked: ${chance}; one standard deviation lower (${lower}) it is under ${threshold}, and its uncertainty is below ${median}`
          : `Not picked: ${chance}; one standard deviation lower (${lower}) it is under ${threshold}`,
        weight: shown.mean,
      };
  }
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
  const posterior = scorer.knowledge.head === 'posterior';
  const reasons = explainRecord({
    target: {
      release,
      mean: shown.mean,
      // The Bayesian head's std is a posterior, not a spread of Monte-Carlo passes: shared/explain's
      // passes sentence would misname it, so it gets 0 here and posteriorPickReason states it instead.
      uncertainty: posterior ? 0 : shown.uncertainty,
      aleatoric: shown.aleatoric,
      embedding: det[0]!.embedding ?? [],
      strategy,
    },
    labelled: labelled.map((l, i) => ({ release: l.release!, keeper: l.keeper, embedding: det[1 + variants.length + i]!.embedding ?? [] })),
    occlusion: variants.map((v, i) => ({ feature: v.feature, detail: v.detail, delta: det[0]!.mean - det[1 + i]!.mean })),
    schedule: strategy === 'explore' && !posterior ? { batchNumber, ...(input.batchSize ? { batchSize: input.batchSize } : {}) } : undefined,
  });
  if (!posterior) return reasons;
  // The page split of the Bayesian head replaces the schedule's sentence (no schedule decides its picks).
  const own = input.labels.find((l) => l.releaseId === release.id);
  return [posteriorPickReason(shown, input.page, own), ...reasons.filter((r) => r.kind !== 'schedule')];
}

export interface UnlearnedInput {
  paired: boolean;
  /** The active model's version (null: the untrained model of this browser). */
  modelVersion: string | null;
  /** Labels the active model was fitted on (0, or null when not recorded). */
  modelLabels: number | null;
  /** This device's labels (true = kept). */
  deviceLabels: boolean[];
  /** False for a master-only record (a label is for one release). */
  canLabel: boolean;
}

/**
 * "Why shown?" while the model has learned from no label: what it knows (nothing yet, and why the
 * badge shows no numbers), the labels waiting to be learned from, and how to start. Every sentence
 * states this device's state; none cites evidence, since there is none.
 */
export function unlearnedReasons(input: UnlearnedInput): Reason[] {
  const model = !input.paired
    ? 'this browser is not paired with a Keepers backend, so it scores with the untrained starting model, which has seen no label'
    : input.modelVersion === null
      ? 'no model has come from your backend yet, so this browser scores with the untrained starting model, which has seen no label'
      : `model ${input.modelVersion.slice(0, 8)} from your backend was fitted on ${input.modelLabels ? plural(input.modelLabels, 'label') : 'no labels'}`;
  const reasons: Reason[] = [
    { kind: 'knowledge', text: `No labels learned yet: ${model}.` },
    { kind: 'knowledge', text: 'So the badges show no keep-probability and claim no confidence: before any label the model’s numbers come from its random starting weights, not from your taste.' },
  ];
  const n = input.deviceLabels.length;
  if (n > 0) {
    const kept = input.deviceLabels.filter(Boolean).length;
    const yours = `You have labelled ${plural(n, 'record')} on this device (${kept} kept)`;
    reasons.push({
      kind: 'knowledge',
      text: input.paired
        ? `${yours}, which the model has not learned from yet: it learns each time a batch of 20 is finished in the popup, or when you run npx keepers train.`
        : `${yours}: they wait here until this browser is paired, then go to your backend, which learns from them.`,
    });
  }
  const where = input.canLabel ? 'Keeper / Not keeper on this badge or any other' : 'Keeper / Not keeper on a release’s badge (open a version of this master)';
  reasons.push({
    kind: 'knowledge',
    text: input.paired
      ? `To teach it: label records (${where}, or a batch of 20 in the popup), or import your Discogs collection (npx keepers import FILE --as-keepers).`
      : `To teach it: pair this browser in the Keepers options (run npx keepers pair for a code), then label records (${where}, or 20 at a time in the popup), or import your Discogs collection (npx keepers import FILE --as-keepers).`,
  });
  reasons.push({ kind: 'knowledge', text: 'Until then every unlabelled record gets this badge: with nothing learned, no record is a better pick than another.' });
  return reasons;
}

/**
 * The backend's reasons with the badge's numbers: the sentences that state the record's own score and
 * strategy (schedule, uncertainty) come from the local explanation built on the badge's score; the
 * evidence (nearest labelled records, features that moved the score) from the backend, which sees every
 * device's labels. For 'none' badges, as shared/explain does, one of each kind of evidence.
 */
export function withShownNumbers(remote: Reason[], local: Reason[], strategy: ShownScore['strategy']): Reason[] {
  // Reasons of every kind but 'knowledge' (only the device writes those) come from shared/explain.
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
