import { z } from 'zod';
import { BoundedReleaseSchema, KeeperLabelSchema } from '../../shared/schemas';
import { authedProcedure, router } from '../trpc';
import { labelsSince, submitLabels } from '../labels';
import { getBanditState } from '../models';

export const labelsRouter = router({
  /**
   * Idempotent on clientId. A label for a record the backend has never seen needs its `record`
   * (as the extension found it on the page); otherwise NOT_FOUND and nothing is stored.
   * When a batch becomes fully labelled its online update starts in the training worker; poll
   * models.latest for the new version (`training` says whether one was started).
   */
  submit: authedProcedure
    .input(z.object({ labels: z.array(KeeperLabelSchema.extend({ record: BoundedReleaseSchema.optional() })).min(1).max(1000) }))
    .mutation(async ({ ctx, input }) => {
      const result = await submitLabels(ctx.app.db, ctx.device.id, input.labels);
      const state = await getBanditState(ctx.app.db);
      void ctx.app.training.scheduleOnlineUpdates(result.completedBatchIds);
      return {
        accepted: result.accepted,
        duplicates: result.duplicates,
        modelVersion: state.activeVersion,
        completedBatchIds: result.completedBatchIds,
        training: result.completedBatchIds.length > 0 && ctx.app.training.autoTrain,
      };
    }),
  since: authedProcedure
    .input(z.object({ cursor: z.number().int().nonnegative(), limit: z.number().int().min(1).max(5000).default(1000) }))
    .query(({ ctx, input }) => labelsSince(ctx.app.db, input.cursor, input.limit)),
});
