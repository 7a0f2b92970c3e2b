// Shared pieces of the end-to-end suite: Debian Chromium with the built extension, a real backend on a
// free port with a temporary database, pairing through the CLI, and messages to the background.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import type { ProtocolMap } from '../../extension/core/messaging';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const REPO = resolve(import.meta.dirname, '../..');
export const EXTENSION_DIR = join(REPO, '.output/chrome-mv3');
export const SCREENSHOTS = join(REPO, 'test-results/screenshots');
export const FIXTURES = join(import.meta.dirname, 'fixtures');

if (!hasChromium) {
  console.error(
    `\n${'!'.repeat(78)}\n!! e2e SKIPPED: ${CHROMIUM} is missing. Install it: apt-get install -y chromium (CI does).\n${'!'.repeat(78)}\n`,
  );
}

export interface ExtensionBrowser {
  context: BrowserContext;
  extensionId: string;
  worker: Worker;
  userDataDir: string;
  /** Closes the browser; the profile (chrome.storage, IndexedDB) is deleted unless kept for a restart. */
  close(opts?: { keepProfile?: boolean }): Promise<void>;
}

/** Flags from the machine notes: no network chatter (the sandbox refuses it), SwiftShader for WebGL. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

export async function launchWithExtension(opts: { userDataDir?: string } = {}): Promise<ExtensionBrowser> {
  if (!existsSync(join(EXTENSION_DIR, 'manifest.json'))) {
    throw new Error(`${EXTENSION_DIR}/manifest.json is missing: run \`npx wxt build\` first (npm run test:e2e does)`);
  }
  const userDataDir = opts.userDataDir ?? (await mkdtemp(join(tmpdir(), 'keepers-e2e-profile-')));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, `--disable-extensions-except=${EXTENSION_DIR}`, `--load-extension=${EXTENSION_DIR}`],
    viewport: { width: 1280, height: 900 },
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
  const extensionId = new URL(worker.url()).host;
  return {
    context,
    extensionId,
    worker,
    userDataDir,
    close: async ({ keepProfile = false } = {}) => {
      await context.close();
      if (!keepProfile) await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** An extension page to talk to the background from (the popup, opened as a tab). */
export async function openExtensionPage(ext: ExtensionBrowser, path = 'popup.html'): Promise<Page> {
  const page = await ext.context.newPage();
  await page.goto(`chrome-extension://${ext.extensionId}/${path}`);
  return page;
}

/** The part of the extension API the tests call inside extension pages. */
interface ChromeRuntime {
  runtime: { sendMessage(message: unknown, callback: (response: unknown) => void): void; lastError?: { message?: string } };
}

type Data<K extends keyof ProtocolMap> = Parameters<ProtocolMap[K]>[0];
type Result<K extends keyof ProtocolMap> = ReturnType<ProtocolMap[K]>;

/** Sends a message in @webext-core/messaging's wire format and unwraps { res } / { err }. */
export async function message<K extends keyof ProtocolMap>(page: Page, type: K, data?: Data<K>): Promise<Result<K>> {
  const reply = await page.evaluate(
    ({ type, data }) =>
      new Promise<{ res?: unknown; err?: { message?: string } }>((resolve, reject) => {
        const chrome = (globalThis as unknown as { chrome: ChromeRuntime }).chrome;
        chrome.runtime.sendMessage({ id: Math.floor(Math.random() * 1e9), type, data, timestamp: Date.now() }, (response: unknown) => {
          if (chrome.runtime.lastError) reject(new Error(chrome.runtime.lastError.message));
          else resolve(response as { res?: unknown; err?: { message?: string } });
        });
      }),
    { type, data },
  );
  if (reply.err) throw new Error(`${type}: ${reply.err.message ?? JSON.stringify(reply.err)}`);
  return reply.res as Result<K>;
}

/**
 * The device token, read the way only the extension's own pages can: from the extension origin's
 * IndexedDB (extension/core/secrets.ts). It is not in chrome.storage.local, which content scripts read.
 */
export async function pairingToken(extPage: Page): Promise<string> {
  const token = await extPage.evaluate(
    () =>
      new Promise<string | null>((resolve, reject) => {
        const req = indexedDB.open('keepers-secrets', 1);
        req.onupgradeneeded = () => req.result.createObjectStore('secrets');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const get = req.result.transaction('secrets', 'readonly').objectStore('secrets').get('pairing');
          get.onsuccess = () => resolve((get.result as { token?: string } | undefined)?.token ?? null);
          get.onerror = () => reject(get.error);
        };
      }),
  );
  if (!token) throw new Error('The extension is not paired (no token in its IndexedDB).');
  return token;
}

export interface Backend {
  url: string;
  dbFile: string;
  pairingCode(): Promise<string>;
  /** Stops the server, keeping its database (the extension sees it as offline). */
  pause(): Promise<void>;
  /** Starts it again on the same port and database. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

const run = promisify(execFile);
const CLI = join(REPO, 'backend/bin/keepers.mjs');

function serve(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  return new Promise((resolveServer, reject) => {
    const timer = setTimeout(() => reject(new Error(`backend did not start in 60 s:\n${output.join('\n')}`)), 60_000);
    const onLine = (line: string) => {
      output.push(line);
      const match = /https?:\/\/127\.0\.0\.1:\d+/.exec(line);
      if (match && /listening/i.test(line)) {
        clearTimeout(timer);
        resolveServer({ child, url: match[0] });
      }
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`backend exited with ${String(code)}:\n${output.join('\n')}`));
    });
  });
}

async function kill(child: ChildProcess | null): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/**
 * `keepers serve` on a free port with a fresh database, after `keepers import` of `poolJsonl` (if given);
 * resolves once the server prints its URL.
 */
export async function startBackend(opts: { poolJsonl?: string } = {}): Promise<Backend> {
  const dir = await mkdtemp(join(tmpdir(), 'keepers-e2e-backend-'));
  const env: NodeJS.ProcessEnv = { ...process.env, KEEPERS_DB: join(dir, 'keepers.sqlite'), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };
  if (opts.poolJsonl !== undefined) {
    const file = join(dir, 'pool.jsonl');
    await writeFile(file, opts.poolJsonl);
    await run(process.execPath, [CLI, 'import', file], { cwd: REPO, env });
  }
  let { child, url } = await serve(env);
  const port = new URL(url).port;
  let current: ChildProcess | null = child;
  return {
    url,
    dbFile: env.KEEPERS_DB!,
    pairingCode: async () => {
      const { stdout } = await run(process.execPath, [CLI, 'pair'], { cwd: REPO, env });
      const lines = stdout.trim().split('\n');
      return lines[lines.length - 1]!.trim();
    },
    pause: async () => {
      await kill(current);
      current = null;
    },
    resume: async () => {
      ({ child, url } = await serve({ ...env, PORT: port }));
      current = child;
    },
    stop: async () => {
      await kill(current);
      current = null;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, name);
}
