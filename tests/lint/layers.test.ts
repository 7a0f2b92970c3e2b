// The layering rules of eslint.config.js (docs/ARCHITECTURE.md) fail `npm run lint`: each case lints a
// small snippet as if it were a file at that path in the repository, with the repository's own config.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RULE = '@typescript-eslint/no-restricted-imports';

async function errorsOf(rule: string, file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO });
  const [result] = await eslint.lintText(code, { filePath: path.join(REPO, file) });
  return result!.messages.filter((m) => m.ruleId === rule && m.severity === 2).map((m) => m.message);
}

const layerErrors = (file: string, code: string) => errorsOf(RULE, file, code);

describe('layering rules', () => {
  it('shared/ may not import backend/ or extension/', async () => {
    expect(await layerErrors('shared/sim/layering-example.ts', "import { importFile } from '../../backend/app';\nexport const f = importFile;\n")).toEqual([
      expect.stringMatching(/shared\/ must not import backend\//),
    ]);
    expect(await layerErrors('shared/model/layering-example.ts', "import { recordKey } from '../../extension/core/recordKey';\nexport const f = recordKey;\n")).toHaveLength(1);
    expect(await layerErrors('shared/sim/layering-example.ts', "import { importFile } from '../import';\nexport const f = importFile;\n")).toEqual([]);
  });

  it('backend/ may not import extension/', async () => {
    expect(await layerErrors('backend/labels/layering-example.ts', "import { recordKey } from '../../extension/core/recordKey';\nexport const f = recordKey;\n")).toHaveLength(1);
  });

  it('the extension imports only the AppRouter type from the backend', async () => {
    const file = 'extension/core/layering-example.ts';
    expect(await layerErrors(file, "import type { AppRouter } from '../../backend/routers/_app';\nexport type R = AppRouter;\n")).toEqual([]);
    expect(await layerErrors(file, "import { appRouter } from '../../backend/routers/_app';\nexport const r = appRouter;\n")).toEqual([expect.stringMatching(/as a type only/)]);
    expect(await layerErrors(file, "import type { App } from '../../backend/app';\nexport type A = App;\n")).toEqual([expect.stringMatching(/only `import type \{ AppRouter \}/)]);
    expect(await layerErrors(file, "import { submitLabels } from '../../backend/labels';\nexport const s = submitLabels;\n")).toHaveLength(1);
    expect(await layerErrors(file, "import { importFile } from '../../shared/import';\nexport const i = importFile;\n")).toEqual([expect.stringMatching(/Node-only/)]);
  });

  it('Discogs page code imports no model code, the background may', async () => {
    for (const file of ['extension/discogs/layering-example.ts', 'extension/features/layering-example.ts']) {
      expect(await layerErrors(file, "import { predict } from '../../shared/model';\nexport const p = predict;\n")).toEqual([expect.stringMatching(/must not load the model/)]);
      expect(await layerErrors(file, "import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n")).toEqual([expect.stringMatching(/must not load tfjs/)]);
      // The extension's backend rule still holds there.
      expect(await layerErrors(file, "import type { App } from '../../backend/app';\nexport type A = App;\n")).toHaveLength(1);
    }
    expect(await layerErrors('extension/core/layering-example.ts', "import { predict } from '../../shared/model';\nexport const p = predict;\n")).toEqual([]);
  });

  it("the backend's SQL stays in repository modules", async () => {
    const query = "import type { Db } from '../db';\nexport const ids = (db: Db) => db.all('SELECT id FROM records');\n";
    const template = "import type { Db } from '../db';\nexport const ids = (db: Db, n: number) => db.all(`\n  SELECT id FROM records LIMIT ${n}`);\n";
    expect(await errorsOf('no-restricted-syntax', 'backend/bandit/layering-example.ts', query)).toEqual([expect.stringMatching(/repository\.ts/)]);
    expect(await errorsOf('no-restricted-syntax', 'backend/routers/layering-example.ts', template)).toHaveLength(1);
    expect(await errorsOf('no-restricted-syntax', 'backend/bandit/repository.ts', query)).toEqual([]);
    expect(await errorsOf('no-restricted-syntax', 'backend/bandit/layering-example.ts', "export const text = 'Select a record to label';\n")).toEqual([]);
  });
});
