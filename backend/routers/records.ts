import { z } from 'zod';
import { BoundedReleaseSchema } from '../../shared/schemas';
import { authedProcedure, router } from '../trpc';
import { releasesByIds, upsertReleases } from '../records';

const ids = z.array(z.number().int().positive()).max(1000);

export const recordsRouter = router({
  /** Records seen on Discogs pages (partial metadata is merged into what is known, never erases it). */
  upsert: authedProcedure
    .input(z.object({ records: z.array(BoundedReleaseSchema).min(1).max(1000) }))
    .mutation(({ ctx, input }) => upsertReleases(ctx.app.db, input.records, 'page')),
  byIds: authedProcedure.input(z.object({ ids })).query(({ ctx, input }) => releasesByIds(ctx.app.db, input.ids)),
});
