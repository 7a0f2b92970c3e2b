import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { ReleaseSchema } from '../../shared/schemas';
import { authedProcedure, router } from '../trpc';
import { POLICIES, selectBatch } from '../selection';
import { releasesByIds, missingIds } from '../records';
import { predictReleases } from '../scoring';

export const banditRouter = router({
  selectBatch: authedProcedure
    .input(
      z
        .object({
          poolSize: z.number().int().min(1).max(5000).default(1000),
          batchSize: z.number().int().min(1).max(100).default(20),
          policy: z.enum(POLICIES).optional(),
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
          records: z.array(ReleaseSchema).max(2000).optional(),
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
      const preds = predictReleases(model, [...stored, ...(input.records ?? [])], { withEmbedding: input.withEmbedding, seed: input.seed ?? 0 });
      return preds.map((p) => ({ ...p, modelVersion: version }));
    }),
});
