import { publicProcedure } from '../trpc';
import { VERSION } from '../version';
import { getBanditState } from '../models';

export const healthProcedure = publicProcedure.query(async ({ ctx }) => {
  const state = await getBanditState(ctx.app.db);
  return { ok: true as const, version: VERSION, modelVersion: state.activeVersion };
});
