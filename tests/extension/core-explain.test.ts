// The background's local scorer and "Why shown?" glue in Node, on the real model (tfjs WASM, seeded):
// one batch per page, deterministic numbers, reasons computed from the model and the labels.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { Scorer } from '../../extension/core/scorer';
import { explainLocally } from '../../extension/core/explain';
import { parseRelease, type Release } from '../../shared/schemas';

const require = createRequire(import.meta.url);
const WASM_DIR = `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`;

const release = (id: number, artist: string, label: string, styles: string[], year: number): Release =>
  parseRelease({ id, title: `Record ${id}`, artists: [artist], labels: [{ name: label, catno: null }], genres: ['Jazz'], styles, year });

describe('local scorer and explanations', () => {
  const scorer = new Scorer({ wasmPaths: WASM_DIR });
  const target = release(1, 'Art Blakey', 'Blue Note', ['Hard Bop'], 1961);
  const keepers = [release(2, 'Lee Morgan', 'Blue Note', ['Hard Bop'], 1964), release(3, 'Hank Mobley', 'Blue Note', ['Hard Bop'], 1960)];
  const rejected = [release(4, 'DJ Nobody', 'Trance Nation', ['Trance'], 2003)];

  beforeAll(async () => {
    await scorer.start('auto', async () => null);
  });

  test('starts untrained on WASM without WebGL and says so', () => {
    const status = scorer.status();
    expect(status.backend).toBe('wasm');
    expect(status.renderer).toBeNull();
    expect(status.reason).toMatch(/WebGL is not available/);
    expect(status.modelSource).toBe('untrained');
  });

  test('scores a page in one batch, the same way every time', () => {
    const page = [target, ...keepers, ...rejected];
    const first = scorer.predict(page);
    const again = scorer.predict(page);
    expect(first.map((p) => p.releaseId)).toEqual([1, 2, 3, 4]);
    expect(again).toEqual(first);
    for (const p of first) {
      expect(p.mean).toBeGreaterThan(0);
      expect(p.mean).toBeLessThan(1);
      expect(p.uncertainty).toBeGreaterThan(0);
    }
  });

  test('"Why shown?" names the nearest labelled records and the schedule of an explore pick', () => {
    const labels = [
      ...keepers.map((r) => ({ releaseId: r.id, keeper: true, release: r })),
      ...rejected.map((r) => ({ releaseId: r.id, keeper: false, release: r })),
    ];
    const reasons = explainLocally(scorer, { release: target, strategy: 'explore', batchNumber: 0, labels });
    expect(reasons.length).toBeGreaterThanOrEqual(2);
    const similar = reasons.find((r) => r.kind === 'similar-keepers');
    expect(similar).toBeDefined();
    expect(similar!.releaseIds!.every((id) => [2, 3, 4].includes(id))).toBe(true);
    const schedule = reasons.find((r) => r.kind === 'schedule');
    expect(schedule?.text).toMatch(/60%/);
    for (const r of reasons) expect(r.text.length).toBeGreaterThan(10);
  });

  test('the record itself and unlabelled records are never cited as evidence', () => {
    const labels = [{ releaseId: target.id, keeper: true, release: target }];
    const reasons = explainLocally(scorer, { release: target, strategy: 'none', batchNumber: 0, labels });
    expect(reasons.every((r) => !(r.releaseIds ?? []).includes(target.id))).toBe(true);
  });
});
