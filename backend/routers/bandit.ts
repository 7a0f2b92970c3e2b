import { z } from 'zod';
import { BoundedReleaseSchema } from '../../shared/schemas';
import { authedProcedure, router } from '../trpc';
import { POLICIES, choosePolicy, policySetting, predictRecords, selectBatch } from '../bandit';

const policyName = z.enum(POLICIES, { error: () => ({ message: `policy must be one of ${POLICIES.join(', ')}` }) });

export const banditRouter = router({
  selectBatch: authedProcedure
    .input(
      z
        .object({
          poolSize: z.number().int().min(1).max(5000).default(1000),
          batchSize: z.number().int().min(1).max(100).default(20),
          policy: policyName.optional(),
        })
        .default({ poolSize: 1000, batchSize: 20 }),
    )
    .mutation(({ ctx, input }) => selectBatch(ctx.app, ctx.device.id, input)),

  /**
   * Scores stored records (`ids`) and/or records sent along (`records`, not stored). The Monte-Carlo
   * passes use a fixed seed unless one is given, so the same version scores the same input the same way
   * on every device.
   */
  predict: authedProcedure
    .input(
      z
        .object({
          ids: z.array(z.number().int().positive()).max(2000).optional(),
          records: z.array(BoundedReleaseSchema).max(2000).optional(),
          withEmbedding: z.boolean().optional(),
          seed: z.number().int().nonnegative().optional(),
        })
        .refine((v) => (v.ids?.length ?? 0) + (v.records?.length ?? 0) > 0, { message: 'give ids or records to score' }),
    )
    .query(({ ctx, input }) => predictRecords(ctx.app, input)),

  /** The policy batches run with (the collector's choice, else the default), and the ones to choose from. */
  policy: authedProcedure.query(({ ctx }) => policySetting(ctx.app.db)),

  /** Chooses the policy for every later batch (a batch may still ask for another one with `policy`). */
  setPolicy: authedProcedure
    .input(z.object({ policy: policyName }))
    .mutation(async ({ ctx, input }) => {
      const { policy } = await choosePolicy(ctx.app.db, input.policy, { deviceId: ctx.device.id, via: 'api' });
      return { policy };
    }),
});
