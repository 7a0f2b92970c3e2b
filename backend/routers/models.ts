import { z } from 'zod';
import { authedProcedure, router } from '../trpc';
import { DomainError } from '../errors';
import { getArtifacts, getBanditState, getVersion, listVersions, rollback } from '../models';

const version = z.string().trim().min(1).max(64);

export const modelsRouter = router({
  latest: authedProcedure.query(async ({ ctx }) => {
    const state = await getBanditState(ctx.app.db);
    const row = state.activeVersion ? await getVersion(ctx.app.db, state.activeVersion) : null;
    if (!row) throw new DomainError('not-found', 'No model version yet.');
    return {
      version: row.version,
      parentVersion: row.parentVersion,
      createdAt: row.createdAt,
      sha256: row.sha256,
      featureSchemaVersion: row.featureSchemaVersion,
      metrics: row.metrics,
      batchCount: state.batchCount,
      kind: row.kind,
    };
  }),
  weights: authedProcedure.input(z.object({ version })).query(async ({ ctx, input }) => {
    const artifacts = await getArtifacts(ctx.app.db, input.version);
    if (!artifacts) throw new DomainError('not-found', `Unknown model version ${input.version}: see models.list.`);
    return artifacts;
  }),
  list: authedProcedure.query(async ({ ctx }) => {
    const state = await getBanditState(ctx.app.db);
    return (await listVersions(ctx.app.db)).map((v) => ({ ...v, active: v.version === state.activeVersion }));
  }),
  /** Makes an earlier version active again; the batch counter is left as it is (labels were still given). */
  rollback: authedProcedure.input(z.object({ version })).mutation(({ ctx, input }) => rollback(ctx.app.db, input.version, ctx.device.id)),
});
