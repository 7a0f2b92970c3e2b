// Shared zod schemas: the release as the product sees it, keeper labels and selection metadata.
// Types are z.infer of the schemas so runtime checks and static types cannot drift apart.
import { z } from 'zod';

export {
  ReleaseSchema,
  ReleaseParseError,
  parseRelease,
  formatZodError,
  cleanName,
  type Release,
  type ReleaseInput,
} from './release';
export { releaseFromPoolRecord, releaseFromApiRelease, releaseFromBasicInformation } from './adapters';
export { RELEASE_LIMITS, releaseLimitProblem, BoundedReleaseSchema } from './limits';

/** One keeper / not-keeper decision; clientId makes submitting it idempotent. */
export const KeeperLabelSchema = z.object({
  clientId: z.string().min(1).max(100),
  releaseId: z.number().int().positive(),
  keeper: z.boolean(),
  batchId: z.number().int().nonnegative().nullable().optional(),
  labelledAt: z.iso.datetime({ offset: true }),
});
export type KeeperLabel = z.infer<typeof KeeperLabelSchema>;

export const StrategySchema = z.enum(['exploit', 'explore']);
export type Strategy = z.infer<typeof StrategySchema>;

/** What the bandit decided about one record, stored with the label for off-policy evaluation. */
export const SelectionItemSchema = z.object({
  releaseId: z.number().int().positive(),
  strategy: StrategySchema,
  score: z.number(),
  mean: z.number().min(0).max(1),
  uncertainty: z.number().min(0),
  /** Probability that this record was picked by its strategy (1 for the deterministic top-k of selectBatch). */
  propensity: z.number().min(0).max(1),
});
export type SelectionItem = z.infer<typeof SelectionItemSchema>;
