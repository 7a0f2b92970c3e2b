// The whole API. The extension imports only `type AppRouter` from here.
import { router } from '../trpc';
import { healthProcedure } from './health';
import { devicesRouter } from './devices';
import { recordsRouter } from './records';
import { banditRouter } from './bandit';
import { labelsRouter } from './labels';
import { modelsRouter } from './models';
import { similarRouter } from './similar';
import { explainRouter } from './explain';
import { metricsRouter } from './metrics';

export const appRouter = router({
  health: healthProcedure,
  devices: devicesRouter,
  records: recordsRouter,
  bandit: banditRouter,
  labels: labelsRouter,
  models: modelsRouter,
  similar: similarRouter,
  explain: explainRouter,
  metrics: metricsRouter,
});

export type AppRouter = typeof appRouter;
