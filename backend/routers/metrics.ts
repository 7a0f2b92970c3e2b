import { authedProcedure, router } from '../trpc';
import { metricsSummary } from '../bandit';

export const metricsRouter = router({
  summary: authedProcedure.query(({ ctx }) => metricsSummary(ctx.app, ctx.app.training.lastError)),
});
