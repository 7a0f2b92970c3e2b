import { z } from 'zod';
import { authedProcedure, router } from '../trpc';
import { similarRecords } from '../bandit';

export const similarRouter = router({
  /** Nearest records to `releaseId` in the active model's embedding space, labelled ones with their label. */
  records: authedProcedure
    .input(z.object({ releaseId: z.number().int().positive(), k: z.number().int().min(1).max(100).default(10) }))
    .query(({ ctx, input }) => similarRecords(ctx.app, input.releaseId, input.k)),
});
