import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { BoundedReleaseSchema } from '../../shared/schemas';
import { authedProcedure, router } from '../trpc';
import { selectBatch } from '../bandit';
import { releasesByIds, missingIds } from '../records';
import { predictReleases } from '../bandit';
import { getBanditState } from '../models';
import { POLICIES, choosePolicy, headFor, policySetting } from '../bandit';

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
    .query(async ({ ctx, input }) => {
      const missing = input.ids ? await missingIds(ctx.app.db, input.ids) : [];
      if (missing.length > 0) throw new TRPCError({ code: 'NOT_FOUND', message: `Unknown release ids: ${missing.slice(0, 20).join(', ')}.` });
      const stored = input.ids ? await releasesByIds(ctx.app.db, input.ids) : [];
      const { version, model } = await ctx.app.activeModel();
      // The Bayesian head when the model has one (the default learner); `seed` scores with Monte-Carlo dropout.
      const { policy } = await getBanditState(ctx.app.db);
      const preds = predictReleases(model, [...stored, ...(input.records ?? [])], { withEmbedding: input.withEmbedding, seed: input.seed ?? 0, head: headFor(policy) });
      return preds.map((p) => ({ ...p, modelVersion: version }));
    }),

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
