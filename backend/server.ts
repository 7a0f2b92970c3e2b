// The HTTP server: tRPC's standalone adapter at /trpc, CORS for the extension (and localhost during
// development), a request body limit, pino logs.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { appRouter } from './routers/_app';
import { httpContextFactory } from './trpc';
import type { App } from './app';

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;
/** The body limit can be changed, never turned off (0 or Infinity would mean "no limit" to the adapter). */
const MAX_MAX_BODY_BYTES = 64 * 1024 * 1024;
/** The most calls one batched HTTP request may carry (the extension's client sends at most this many). */
export const MAX_BATCH_SIZE = 20;

/** Why a body limit is refused (a sentence fragment), or null. */
export function maxBodyBytesProblem(n: number): string | null {
  if (!Number.isSafeInteger(n) || n < 1024 || n > MAX_MAX_BODY_BYTES) return `must be a whole number of bytes from 1024 to ${MAX_MAX_BODY_BYTES} (the limit cannot be turned off)`;
  return null;
}

const EXTENSION_ORIGIN = /^(chrome-extension|moz-extension):\/\/[A-Za-z0-9-]+$/;
const DEV_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1)(:\d{1,5})?$/;

function isAllowedOrigin(origin: string): boolean {
  return EXTENSION_ORIGIN.test(origin) || DEV_ORIGIN.test(origin);
}

/**
 * Requests from other web origins are refused outright (403), not just left without CORS headers:
 * a page on another site must not even trigger a mutation. Requests with no Origin (CLI, Node) pass.
 */
function corsMiddleware(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (!isAllowedOrigin(origin)) {
      res.statusCode = 403;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: { message: `Origin ${origin} is not allowed: only the Discogs Keepers extension and localhost may call this server.` } }));
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, trpc-accept, x-trpc-source');
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
    res.setHeader('Access-Control-Max-Age', '600');
  }
  if (req.method === 'OPTIONS') {
    res.statusCode = 204;
    res.end();
    return;
  }
  next();
}

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

export async function startServer(app: App, opts: { port?: number; host?: string; maxBodyBytes?: number } = {}): Promise<RunningServer> {
  const host = opts.host ?? DEFAULT_HOST;
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const bodyProblem = maxBodyBytesProblem(maxBodyBytes);
  if (bodyProblem) throw new Error(`maxBodyBytes ${bodyProblem}, got ${maxBodyBytes}`);
  const server = createHTTPServer({
    router: appRouter,
    basePath: '/trpc/',
    createContext: httpContextFactory(app),
    maxBodySize: maxBodyBytes,
    maxBatchSize: MAX_BATCH_SIZE,
    middleware: (req, res, next) => {
      // Only /trpc is served; anything else is a plain 404 with a hint.
      if (!req.url?.startsWith('/trpc/') && req.method !== 'OPTIONS') {
        res.statusCode = 404;
        res.setHeader('content-type', 'text/plain');
        res.end('Discogs Keepers backend: the API is under /trpc/ (try /trpc/health).\n');
        return;
      }
      corsMiddleware(req, res, next);
    },
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR') app.logger.error({ err: error.cause ?? error, path }, 'request failed');
      else app.logger.debug({ code: error.code, path, message: error.message }, 'request refused');
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_PORT, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/trpc`;
  return {
    url,
    port,
    host,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
