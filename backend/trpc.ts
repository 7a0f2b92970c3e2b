// tRPC setup: context (services + the calling device), procedures, and the one place where refusals
// become tRPC errors: readable validation errors and DomainError kinds mapped to tRPC codes.
import { initTRPC, TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import { ZodError } from 'zod';
import { deviceForToken, type Device } from './auth';
import { DomainError, type DomainErrorKind } from './errors';
import type { App } from './app';

export interface Context {
  app: App;
  device: Device | null;
}

/** Context for a call with an optional bearer token (used by the HTTP adapter and by tests' createCaller). */
export async function createContextForToken(app: App, token: string | null | undefined): Promise<Context> {
  const device = await deviceForToken(app.db, token);
  if (device) app.deviceActivity.noteSeen(device.id);
  return { app, device };
}

export function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1] ?? null;
}

export function httpContextFactory(app: App) {
  return ({ req }: CreateHTTPContextOptions): Promise<Context> => createContextForToken(app, bearerToken(req.headers.authorization));
}

/** "records[0].id: Invalid input: expected number, received string; …" from zod (or any standard-schema) issues. */
function readableIssues(issues: ReadonlyArray<{ path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>; message: string }>): string {
  return issues
    .slice(0, 10)
    .map((issue) => {
      const parts = (issue.path ?? []).map((p) => (typeof p === 'object' ? p.key : p));
      const where = parts.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
      // zod prefixes most messages with "Invalid input: ", which the caller already says once.
      const message = issue.message.replace(/^Invalid input: /, '');
      return where ? `${where}: ${message}` : message;
    })
    .join('; ')
    .concat(issues.length > 10 ? ` (and ${issues.length - 10} more problems)` : '');
}

function issuesOf(cause: unknown): ReadonlyArray<{ path?: ReadonlyArray<PropertyKey>; message: string }> | null {
  if (cause instanceof ZodError) return cause.issues;
  if (cause && typeof cause === 'object' && Array.isArray((cause as { issues?: unknown }).issues)) {
    return (cause as { issues: { path?: PropertyKey[]; message: string }[] }).issues;
  }
  return null;
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error }) {
    const issues = issuesOf(error.cause);
    const message =
      error.code === 'PAYLOAD_TOO_LARGE'
        ? 'Request body too large: send fewer records or labels per call (the limit is KEEPERS_MAX_BODY_BYTES, default 8 MiB).'
        : shape.message;
    return {
      ...shape,
      message,
      data: {
        ...shape.data,
        // Never leak stack traces to the extension.
        stack: undefined,
        issues: issues ? issues.map((i) => ({ path: (i.path ?? []).map(String), message: i.message })) : null,
      },
    };
  },
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

const CODE_OF_KIND: Record<DomainErrorKind, TRPC_ERROR_CODE_KEY> = {
  'not-found': 'NOT_FOUND',
  invalid: 'BAD_REQUEST',
  precondition: 'PRECONDITION_FAILED',
  unauthorized: 'UNAUTHORIZED',
  'rate-limited': 'TOO_MANY_REQUESTS',
};

/**
 * Wraps every procedure, the input parser included (it must run before `.input()`). A DomainError
 * thrown by domain code (tRPC wraps it as INTERNAL_SERVER_ERROR with the error as cause) becomes its
 * kind's code with its message. A failed zod parse, which tRPC reports with the raw JSON of the issues
 * as message, becomes one readable line, over HTTP and through createCaller.
 */
const toTrpcErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (result.ok) return result;
  const cause = result.error.cause;
  if (cause instanceof DomainError) throw new TRPCError({ code: CODE_OF_KIND[cause.kind], message: cause.message, cause });
  if (result.error.code === 'BAD_REQUEST') {
    const issues = issuesOf(cause);
    if (issues) throw new TRPCError({ code: 'BAD_REQUEST', message: `Invalid input: ${readableIssues(issues)}`, cause });
  }
  return result;
});

export const publicProcedure = t.procedure.use(toTrpcErrors);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.device) {
    throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Missing, unknown or revoked device token: pair this device (`npx keepers pair`) and send Authorization: Bearer <token>.' });
  }
  return next({ ctx: { ...ctx, device: ctx.device } });
});
