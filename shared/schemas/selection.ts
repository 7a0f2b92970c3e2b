// What the bandit decides about a record and why: its strategy, the selected item as stored with the
// label (off-policy evaluation), and the "Why shown?" reasons the popup and the badges show.
import { z } from 'zod';

/** Why a record was picked for a batch: its predicted keep-probability (exploit) or what labelling it would teach (explore). */
export const StrategySchema = z.enum(['exploit', 'explore']);
export type Strategy = z.infer<typeof StrategySchema>;

/** A record's strategy where it is shown: a pick's, or 'none' for a record on a page no batch picked. */
export const ShownStrategySchema = z.enum(['exploit', 'explore', 'none']);
export type ShownStrategy = z.infer<typeof ShownStrategySchema>;

/** What the bandit decided about one record, stored with the label for off-policy evaluation. */
export const SelectionItemSchema = z.object({
  releaseId: z.number().int().positive(),
  strategy: StrategySchema,
  /** The policy's ranking score (seed: mean − uncertainty to exploit, uncertainty to explore). */
  score: z.number(),
  mean: z.number().min(0).max(1),
  uncertainty: z.number().min(0),
  /** Probability that this record was picked by its strategy (1 for the deterministic top-k of the seed policy). */
  propensity: z.number().min(0).max(1),
});
export type SelectionItem = z.infer<typeof SelectionItemSchema>;

/** One "Why shown?" reason: its text names records, features or numbers from the model's evidence. */
export const ReasonSchema = z.object({
  /**
   * 'similar-keepers': the nearest labelled records; 'feature': what removing a feature changes;
   * 'uncertainty': the model's spread; 'schedule': the exploration schedule behind an explore pick;
   * 'knowledge': what the model has learned so far (the extension's, before any label).
   */
  kind: z.enum(['similar-keepers', 'feature', 'uncertainty', 'schedule', 'knowledge']),
  text: z.string(),
  /** similar-keepers: share of the k nearest labelled records that agree; feature: signed score change; uncertainty: its size. */
  weight: z.number().optional(),
  releaseIds: z.array(z.number().int().positive()).optional(),
});
export type Reason = z.infer<typeof ReasonSchema>;
