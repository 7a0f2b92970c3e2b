// A keeper label as the extension sends it, and a labelled release as training reads it.
import { z } from 'zod';
import { ReleaseSchema } from './release';

/** One keeper / not-keeper decision; clientId makes submitting it idempotent. */
export const KeeperLabelSchema = z.object({
  clientId: z.string().min(1).max(100),
  releaseId: z.number().int().positive(),
  keeper: z.boolean(),
  batchId: z.number().int().nonnegative().nullable().optional(),
  labelledAt: z.iso.datetime({ offset: true }),
});
export type KeeperLabel = z.infer<typeof KeeperLabelSchema>;

/** Where a label came from: the collector in the extension ('user') or `keepers import --as-keepers` ('import'). */
export const LabelSourceSchema = z.enum(['user', 'import']);
export type LabelSource = z.infer<typeof LabelSourceSchema>;

/** A release with its label, as the learners train on it. `source` absent = 'user'. */
export const LabelledReleaseSchema = z.object({
  release: ReleaseSchema,
  keeper: z.boolean(),
  source: LabelSourceSchema.optional(),
});
export type LabelledRelease = z.infer<typeof LabelledReleaseSchema>;
