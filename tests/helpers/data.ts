// Where the team's real Discogs reference data lives: ../shared/data beside the checkout (CI has it).
// It is read at run time and never copied into the repository; tests that need it skip visibly.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DATA_DIR = process.env.KEEPERS_DATA_DIR ?? path.resolve(REPO_ROOT, '../shared/data');
export const hasData = existsSync(path.join(DATA_DIR, 'derived'));

export function dataPath(...parts: string[]): string {
  return path.join(DATA_DIR, ...parts);
}

if (!hasData) {
  console.warn(`[tests] ${DATA_DIR} is absent: tests on the real Discogs data are skipped.`);
}
