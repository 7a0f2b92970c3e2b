// Fuzz suite (issue 10): generated malformed and hostile inputs (fast-check, fixed seeds) against every
// procedure over real HTTP, and against every importer (collection CSV, API JSON, JSON lines, dump XML)
// into a real SQLite file. Every input is answered with a clear error (a 4xx with a readable message
// and no stack trace) or accepted; a refused input changes nothing in the database; an importer skips a
// bad record with its file and line or stops with an ImportError naming the file; the server stays up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import type { App } from '../../backend/app';
import type { RunningServer } from '../../backend/server';
import { createImportSink } from '../../backend/records';
import { importFile, ImportError, type ImportFormat } from '../../shared/import';
import { upsertReleases } from '../../backend/records';
import { openApp, pairDevice, syntheticReleases, tempDir, withServer } from './helpers';

const IMPORT_FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../fixtures/import');

/** Inputs sent: the suite checks it ran at least 1,000. */
let generated = 0;

const MUTATIONS = ['devices.pair', 'devices.revoke', 'records.upsert', 'bandit.selectBatch', 'bandit.setPolicy', 'labels.submit', 'models.rollback'];
const QUERIES = [
  'health',
  'devices.list',
  'records.byIds',
  'bandit.predict',
  'bandit.policy',
  'labels.since',
  'models.latest',
  'models.weights',
  'models.list',
  'similar.records',
  'explain.record',
  'metrics.summary',
];

const release = syntheticReleases(1, 424_242, 8)[0]!;

/** Valid-looking shapes with one field replaced by something hostile. */
const hostileValue = fc.oneof(
  fc.anything(),
  fc.string({ maxLength: 3000 }),
  fc.constantFrom(-1, 0, 1e308, -0, 2 ** 53, 1.5, NaN, '1; DROP TABLE labels;--', "' OR 1=1 --", '<script>alert(1)</script>', '\u0000', '../../etc/passwd', '9999-12-31T23:59:59Z'),
  fc.constant({ __proto__: { admin: true } }),
  fc.constant(JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}') as unknown),
  fc.array(fc.anything(), { maxLength: 5 }),
);

function mutateShape(shape: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(shape);
  return fc.tuple(fc.constantFrom(...keys), hostileValue).map(([key, value]) => ({ ...shape, [key]: value }));
}

const validShapes: Record<string, Record<string, unknown>> = {
  'devices.pair': { pairingCode: 'ABCD-EFGH', deviceName: 'fuzz' },
  'devices.revoke': { deviceId: 999 },
  'records.upsert': { records: [release] },
  'bandit.selectBatch': { poolSize: 50, batchSize: 5 },
  'bandit.setPolicy': { policy: 'random' },
  'labels.submit': { labels: [{ clientId: 'fuzz', releaseId: release.id, keeper: true, labelledAt: '2026-01-01T00:00:00Z', record: release }] },
  'models.rollback': { version: '20260101T000000000Z' },
  'records.byIds': { ids: [1, 2] },
  'bandit.predict': { ids: [300_001] },
  'labels.since': { cursor: 0, limit: 10 },
  'models.weights': { version: 'x' },
  'similar.records': { releaseId: release.id, k: 5 },
  'explain.record': { releaseId: release.id },
};

const recordArb = fc.record({
  id: fc.oneof(fc.integer({ min: -5, max: 2_000_000 }), fc.string({ maxLength: 8 }), fc.constant(null)),
  title: fc.oneof(fc.string({ maxLength: 200 }), fc.constant('x'.repeat(5000)), fc.integer()),
  artists: fc.oneof(fc.array(fc.string({ maxLength: 30 }), { maxLength: 4 }), fc.string(), fc.constant(Array.from({ length: 500 }, () => 'a'))),
  genres: fc.oneof(fc.array(fc.string({ maxLength: 20 }), { maxLength: 4 }), fc.constant(Array.from({ length: 2000 }, (_, i) => `g${i}`)), fc.anything()),
  year: fc.oneof(fc.integer({ min: -10, max: 5000 }), fc.string({ maxLength: 6 })),
});

const inputFor = (procedure: string): fc.Arbitrary<unknown> => {
  const shape = validShapes[procedure];
  const arbs: fc.Arbitrary<unknown>[] = [fc.anything(), fc.constant(undefined), fc.string({ maxLength: 200 })];
  if (shape) arbs.push(mutateShape(shape), mutateShape(shape));
  if (procedure === 'records.upsert') arbs.push(fc.array(recordArb, { minLength: 1, maxLength: 3 }).map((records) => ({ records })));
  if (procedure === 'labels.submit') {
    arbs.push(
      fc
        .record({ clientId: fc.string({ maxLength: 120 }), releaseId: fc.integer({ min: -2, max: 1_000_000_000 }), keeper: fc.oneof(fc.boolean(), fc.anything()), labelledAt: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string({ maxLength: 40 })), batchId: fc.oneof(fc.constant(null), fc.integer({ min: -1, max: 100 })) })
        .map((l) => ({ labels: [l] })),
    );
  }
  return fc.oneof(...arbs);
};

async function snapshot(app: App): Promise<string> {
  const row = await app.db.get(
    `SELECT (SELECT count(*) FROM records) AS records, (SELECT coalesce(sum(length(release_json)), 0) FROM records) AS recordBytes, (SELECT count(*) FROM labels) AS labels,
            (SELECT count(*) FROM batches) AS batches, (SELECT count(*) FROM model_versions) AS versions, (SELECT count(*) FROM devices) AS devices,
            (SELECT active_version || '/' || batch_count || '/' || policy FROM bandit_models WHERE id = 1) AS bandit`,
  );
  return JSON.stringify(row);
}

describe('fuzz: every procedure over HTTP', () => {
  const t = tempDir();
  let app: App;
  let server: RunningServer;
  let token: string;
  let deviceId: number;

  beforeAll(async () => {
    app = await openApp(path.join(t.dir, 'fuzz.sqlite'), { autoTrain: false });
    await upsertReleases(app.db, syntheticReleases(120, 300_000, 3), 'page');
    server = await withServer(app);
    ({ token, deviceId } = await pairDevice(app, server.url, 'fuzzer'));
  });
  afterAll(async () => {
    await server?.close();
    await app?.close();
    t.cleanup();
  });

  async function call(procedure: string, input: unknown, opts: { raw?: string } = {}): Promise<{ status: number; body: string }> {
    const isQuery = QUERIES.includes(procedure);
    const encoded = opts.raw ?? (input === undefined ? undefined : JSON.stringify(input));
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const res = isQuery
      ? await fetch(`${server.url}/${procedure}${encoded === undefined ? '' : `?input=${encodeURIComponent(encoded)}`}`, { headers })
      : await fetch(`${server.url}/${procedure}`, { method: 'POST', headers, body: encoded ?? '' });
    return { status: res.status, body: await res.text() };
  }

  function expectClearAnswer(procedure: string, input: unknown, res: { status: number; body: string }): void {
    const context = `${procedure} ${JSON.stringify(input)?.slice(0, 200)} → ${res.status} ${res.body.slice(0, 300)}`;
    expect(res.status, context).toBeLessThan(500);
    if (res.status >= 400) {
      const parsed = JSON.parse(res.body) as { error?: { message?: string; data?: { stack?: unknown } } };
      expect(parsed.error?.message, context).toMatch(/\S/);
      expect(parsed.error?.data?.stack, context).toBeUndefined();
      expect(res.body, context).not.toMatch(/\n\s+at \S+ \(/);
    }
  }

  it('answers 900 generated hostile inputs with a clear error or a result; refused ones change nothing', async () => {
    const procedures = [...MUTATIONS, ...QUERIES];
    const perProcedure = Math.ceil(900 / procedures.length);
    for (const [i, procedure] of procedures.entries()) {
      const samples = fc.sample(inputFor(procedure), { numRuns: perProcedure, seed: 1000 + i });
      for (const input of samples) {
        // Revoking the fuzzer's own device would only turn the rest into 401s.
        if (procedure === 'devices.revoke' && (input as { deviceId?: unknown } | null)?.deviceId === deviceId) continue;
        generated++;
        const before = await snapshot(app);
        const res = await call(procedure, input);
        expectClearAnswer(procedure, input, res);
        if (res.status >= 400) expect(await snapshot(app), `${procedure} ${JSON.stringify(input)?.slice(0, 200)}`).toBe(before);
      }
    }
    // Bodies that are not JSON at all, and the wrong method.
    for (const raw of fc.sample(fc.oneof(fc.string({ maxLength: 500 }), fc.constantFrom('{', '[]]', '{"json":', '\u0000\u0001', 'null')), { numRuns: 60, seed: 77 })) {
      generated++;
      const before = await snapshot(app);
      const res = await call('labels.submit', undefined, { raw });
      expectClearAnswer('labels.submit', raw, res);
      if (res.status >= 400) expect(await snapshot(app)).toBe(before);
    }
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  });
});

describe('fuzz: every importer', () => {
  const t = tempDir();
  let app: App;
  beforeAll(async () => {
    app = await openApp(path.join(t.dir, 'import.sqlite'), { autoTrain: false });
  });
  afterAll(async () => {
    await app?.close();
    t.cleanup();
  });

  const csv = readFileSync(path.join(IMPORT_FIXTURES, 'collection-export.csv'), 'utf8');
  const jsonl = readFileSync(path.join(IMPORT_FIXTURES, 'releases.jsonl'), 'utf8');
  const apiJson = readFileSync(path.join(IMPORT_FIXTURES, 'collection-page.json'), 'utf8');
  const xml = readFileSync(path.join(IMPORT_FIXTURES, 'releases-2020.xml'), 'utf8');

  /** A file damaged the way real files are: cut short, bytes replaced, lines duplicated or swapped, junk inserted. */
  const damaged = (text: string) =>
    fc
      .tuple(
        fc.integer({ min: 0, max: text.length }),
        fc.integer({ min: 0, max: text.length }),
        fc.oneof(fc.string({ maxLength: 60 }), fc.constantFrom('"', ',', '\n', '<', '>', '&', '&bogus;', ']]>', '{', '}', '\u0000', '"""', '\r\n', '\uFEFF', 'x'.repeat(5000))),
        fc.constantFrom('cut', 'insert', 'replace', 'swap'),
      )
      .map(([a, b, junk, how]) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        if (how === 'cut') return text.slice(0, hi);
        if (how === 'insert') return text.slice(0, lo) + junk + text.slice(lo);
        if (how === 'replace') return text.slice(0, lo) + junk + text.slice(hi);
        const lines = text.split('\n');
        const i = lo % lines.length;
        const j = hi % lines.length;
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        return lines.join('\n');
      });

  const cases: Array<{ name: string; ext: string; format?: ImportFormat; arb: fc.Arbitrary<string> }> = [
    { name: 'collection CSV', ext: 'csv', format: 'collection-csv', arb: damaged(csv) },
    { name: 'releases JSON lines', ext: 'jsonl', format: 'releases-jsonl', arb: damaged(jsonl) },
    { name: 'API JSON', ext: 'json', format: 'api-json', arb: damaged(apiJson) },
    { name: 'dump XML', ext: 'xml', format: 'dump-xml', arb: damaged(xml) },
    { name: 'anything, format sniffed', ext: 'txt', arb: fc.oneof(fc.string({ maxLength: 400 }), fc.json(), damaged(csv), damaged(xml)) },
  ];

  for (const [i, c] of cases.entries()) {
    it(`${c.name}: 70 damaged files, each skipped record named by file and line, or an ImportError naming the file`, async () => {
      const samples = fc.sample(c.arb, { numRuns: 70, seed: 500 + i });
      for (const [n, text] of samples.entries()) {
        generated++;
        const file = path.join(t.dir, `fuzz-${i}-${n}.${c.ext}`);
        writeFileSync(file, text);
        const sink = await createImportSink(app.db, file);
        try {
          const result = await importFile(file, sink, { format: c.format, chunkSize: 50 });
          for (const p of result.problems) {
            expect(p.file).toBe(file);
            expect(Number.isInteger(p.line) && p.line >= 0).toBe(true);
            expect(p.message).toMatch(/\S/);
          }
          await sink.finish('done', { format: result.format, problems: result.problemCount });
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(ImportError);
          expect((err as Error).message).toContain(file);
          await sink.finish('failed');
        }
      }
      // Every stored record is whole (its JSON parses and has an id).
      const rows = await app.db.all<{ id: number; release_json: string }>('SELECT id, release_json FROM records');
      for (const r of rows) expect((JSON.parse(r.release_json) as { id: number }).id).toBe(r.id);
    });
  }

  it('an XML external entity is never resolved', async () => {
    generated++;
    const file = path.join(t.dir, 'xxe.xml');
    writeFileSync(file, `<?xml version="1.0"?>\n<!DOCTYPE releases [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<releases><release id="777"><title>&xxe;</title><artists><artist><name>A</name></artist></artists></release></releases>\n`);
    const sink = await createImportSink(app.db, file);
    await importFile(file, sink, { format: 'dump-xml' }).catch((err: unknown) => expect(err).toBeInstanceOf(ImportError));
    const row = await app.db.get<{ release_json: string }>('SELECT release_json FROM records WHERE id = 777');
    expect(row?.release_json ?? '').not.toMatch(/root:/);
  });

  afterAll(() => {
    // ~910 procedure inputs + 60 raw bodies + 350 files + 1: the issue asks for at least 1,000.
    console.info(`[fuzz] ${generated} generated inputs`);
    expect(generated).toBeGreaterThanOrEqual(1000);
  });
});
