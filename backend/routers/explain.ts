import { z } from 'zod';
import { BoundedReleaseSchema } from '../../shared/schemas';
import { authedProcedure, router } from '../trpc';
import { explainRecord } from '../bandit';

export const explainRouter = router({
  /** "Why shown?" for a stored record, or for `record` as seen on a page (scored, not stored). */
  record: authedProcedure
    .input(z.object({ releaseId: z.number().int().positive(), record: BoundedReleaseSchema.optional() }))
    .query(({ ctx, input }) => explainRecord(ctx.app, input.releaseId, input.record)),
});
