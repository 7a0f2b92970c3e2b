import { z } from 'zod';
import { authedProcedure, publicProcedure, router } from '../trpc';
import { listDevices, pairDevice, revokeDevice } from '../auth';
import { DomainError } from '../errors';

export const devicesRouter = router({
  /** Exchanges a one-time code from `npx keepers pair` for this device's bearer token. */
  pair: publicProcedure
    .input(z.object({ pairingCode: z.string().trim().min(4).max(32), deviceName: z.string().trim().min(1).max(100) }))
    .mutation(({ ctx, input }) => pairDevice(ctx.app.db, ctx.app.pairingThrottle, input.pairingCode, input.deviceName)),
  list: authedProcedure.query(({ ctx }) => listDevices(ctx.app.db)),
  revoke: authedProcedure.input(z.object({ deviceId: z.number().int().positive() })).mutation(async ({ ctx, input }) => {
    if (!(await revokeDevice(ctx.app.db, input.deviceId))) throw new DomainError('not-found', `No active device ${input.deviceId}.`);
    return { revoked: input.deviceId };
  }),
});
