import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { authedProcedure, router } from '../trpc';
import { releasesByIds, sampleUnlabelled } from '../records';
import { latestLabelled } from '../labels';
import { embedReleases, unitDistance } from '../bandit';
import { recordName } from '../../shared/explain';

/** Records searched besides the labelled ones: a random sample, so the cost stays bounded on big catalogues. */
const UNLABELLED_SAMPLE = 3000;

export const similarRouter = router({
  /**
   * Nearest records to `releaseId` in the active model's embedding space (Euclidean distance between
   * L2-normalised embeddings, 0 = same direction, 2 = opposite), among all labelled records and a random
   * sample of unlabelled ones; each with its label when it has one.
   */
  records: authedProcedure
    .input(z.object({ releaseId: z.number().int().positive(), k: z.number().int().min(1).max(100).default(10) }))
    .query(async ({ ctx, input }) => {
      const [target] = await releasesByIds(ctx.app.db, [input.releaseId]);
      if (!target) throw new TRPCError({ code: 'NOT_FOUND', message: `Unknown release id ${input.releaseId}.` });
      const labelled = await latestLabelled(ctx.app.db);
      const sample = await sampleUnlabelled(ctx.app.db, UNLABELLED_SAMPLE, ctx.app.random);
      const label = new Map(labelled.map((l) => [l.release.id, l.keeper]));
      const candidates = [...labelled.map((l) => l.release), ...sample].filter((r) => r.id !== target.id);
      const { version, model } = await ctx.app.activeModel();
      const [t] = embedReleases(model, [target]);
      const rest = ctx.app.embeddings.get(version, model, candidates);
      const ranked = rest
        .map((e, i) => ({ release: candidates[i]!, distance: unitDistance(t!, e) }))
        .sort((a, b) => a.distance - b.distance)
        .slice(0, input.k);
      return {
        releaseId: target.id,
        modelVersion: version,
        searched: candidates.length,
        neighbours: ranked.map((n) => ({ releaseId: n.release.id, title: recordName(n.release), distance: n.distance, keeper: label.get(n.release.id) ?? null })),
      };
    }),
});
