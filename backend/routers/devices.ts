import { z } from 'zod';
import { TRPCError } from '@trpc/server';
import { authedProcedure, publicProcedure, router } from '../trpc';
import { listDevices, PairingError, redeemPairingCode, revokeDevice } from '../auth';

export const devicesRouter = router({
  /** Exchanges a one-time code from `npx keepers pair` for this device's bearer token. */
  pair: publicProcedure
    .input(z.object({ pairingCode: z.string().trim().min(4).max(32), deviceName: z.string().trim().min(1).max(100) }))
    .mutation(async ({ ctx, input }) => {
      const wait = ctx.app.pairingThrottle.retryAfterMs();
      if (wait > 0) {
        throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: `Too many wrong pairing codes: try again in ${Math.ceil(wait / 1000)} s.` });
      }
      try {
        return await redeemPairingCode(ctx.app.db, input.pairingCode, input.deviceName);
      } catch (err) {
        if (err instanceof PairingError) {
          ctx.app.pairingThrottle.fail();
          throw new TRPCError({ code: 'UNAUTHORIZED', message: err.message });
        }
        throw err;
      }
    }),
  list: authedProcedure.query(({ ctx }) => listDevices(ctx.app.db)),
  revoke: authedProcedure.input(z.object({ deviceId: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    if (!(await revokeDevice(ctx.app.db, input.deviceId))) throw new TRPCError({ code: 'NOT_FOUND', message: `No active device ${input.deviceId}.` });
    return { revoked: input.deviceId };
  }),
});
