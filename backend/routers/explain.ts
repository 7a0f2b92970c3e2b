import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { BoundedReleaseSchema } from '../../shared/schemas';
import { authedProcedure, router } from '../trpc';
import { releasesByIds } from '../records';
import { latestLabelled } from '../labels';
import { predictReleases } from '../bandit';
import { NEIGHBOUR_CANDIDATES, reasonsFor } from '../bandit';
import { getBanditState } from '../models';
import { headFor } from '../bandit';

export const explainRouter = router({
  /** "Why shown?" for a stored record, or for `record` as seen on a page (scored, not stored). */
  record: authedProcedure
    .input(z.object({ releaseId: z.number().int().positive(), record: BoundedReleaseSchema.optional() }))
    .query(async ({ ctx, input }) => {
      if (input.record && input.record.id !== input.releaseId) {
        throw new TRPCError({ code: 'BAD_REQUEST', message: `record.id ${input.record.id} does not match releaseId ${input.releaseId}.` });
      }
      const [stored] = await releasesByIds(ctx.app.db, [input.releaseId]);
      const release = input.record ?? stored;
      if (!release) throw new TRPCError({ code: 'NOT_FOUND', message: `Unknown release id ${input.releaseId}: send the record to explain it.` });
      const { version, model } = await ctx.app.activeModel();
      const head = headFor((await getBanditState(ctx.app.db)).policy);
      const [pred] = predictReleases(model, [release], { seed: 0, withEmbedding: true, head });
      // If an open batch picked this record, say why it was picked.
      const pick = await ctx.app.db.get<{ selection_strategy: 'exploit' | 'explore' }>(
        `SELECT t.selection_strategy FROM training_instances t JOIN batches b ON b.id = t.batch_id
         WHERE t.release_id = ? AND b.completed_at IS NULL ORDER BY t.id DESC LIMIT 1`,
        [input.releaseId],
      );
      const labelled = await latestLabelled(ctx.app.db, { limit: NEIGHBOUR_CANDIDATES });
      const [reasons] = reasonsFor(
        model,
        [{ release, mean: pred!.mean, uncertainty: pred!.uncertainty, aleatoric: pred!.aleatoric, embedding: pred!.embedding, strategy: pick?.selection_strategy ?? 'none' }],
        labelled,
        { embeddings: ctx.app.embeddings, version },
        head,
      );
      return { releaseId: release.id, modelVersion: version, mean: pred!.mean, uncertainty: pred!.uncertainty, aleatoric: pred!.aleatoric, reasons: reasons! };
    }),
});
