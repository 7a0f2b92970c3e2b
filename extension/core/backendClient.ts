// The one tRPC client of the backend; only the background uses it (content scripts and extension pages
// go through the background's messages, core/messaging.ts). Only the AppRouter type comes from backend/.
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import type { AppRouter } from '../../backend/routers/_app';

export type BackendClient = ReturnType<typeof createTRPCClient<AppRouter>>;

export const DEFAULT_BACKEND_URL = 'http://127.0.0.1:8787';

/**
 * "127.0.0.1:8787", "http://host:8787/" and "http://host:8787/trpc" all name the same server; the
 * stored form has a scheme, no trailing slash and no /trpc. Throws a readable error for anything else.
 */
export function normaliseBackendUrl(input: string): string {
  let text = input.trim();
  if (text === '') throw new Error('Backend URL is empty: enter the address `keepers serve` prints, e.g. http://127.0.0.1:8787');
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `http://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`Backend URL "${input}" is not a valid address (expected e.g. http://127.0.0.1:8787)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`Backend URL "${input}" must start with http:// or https://`);
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/trpc$/, '');
  return `${url.origin}${path}`;
}

/**
 * httpBatchLink puts batched queries in the URL; without a limit a large batch fails with HTTP 431
 * (request header fields too large), which the tRPC client reports as a misleading JSON parse error, so
 * long batches are split.
 */
const MAX_URL_LENGTH = 2000;

export function createBackendClient(baseUrl: string, token: string | null): BackendClient {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${normaliseBackendUrl(baseUrl)}/trpc`,
        maxURLLength: MAX_URL_LENGTH,
        // The backend refuses batches of more than 20 calls (backend/server.ts MAX_BATCH_SIZE).
        maxItems: 20,
        headers: () => (token ? { Authorization: `Bearer ${token}` } : {}),
      }),
    ],
  });
}

/** A sentence for the popup / options page: the backend's own message, or why it could not be reached. */
export function describeBackendError(err: unknown): string {
  if (err instanceof TRPCClientError) {
    const code = (err.data as { code?: string } | undefined)?.code;
    if (code === 'UNAUTHORIZED') return 'The backend no longer knows this device: pair it again in the options.';
    if (err.message.includes('Failed to fetch') || err.message.includes('fetch failed')) return 'Backend unreachable (offline or not running).';
    return err.message;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

export function isUnauthorized(err: unknown): boolean {
  return err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === 'UNAUTHORIZED';
}
