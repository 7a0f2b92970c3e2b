// The backend through its real HTTP server (tRPC over 127.0.0.1, SQLite file in a temp dir, training in
// the worker thread as `keepers serve` runs it): batch selection on 100,000 records, warm and cold, the
// online update from labels.submit to the new version, labels.since, the weights and their sync, a full
// retrain on 10,000 labels, and the importers (data dump, collection CSV).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createTRPCClient, httpLink } from '@trpc/client';
import type { AppRouter } from '../../backend/routers/_app';
import { App } from '../../backend/app';
import { startServer, type RunningServer } from '../../backend/server';
import { createPairingCode } from '../../backend/auth';
import { createImportSink, upsertReleases } from '../../backend/records';
import type { SelectPhases } from '../../backend/bandit';
import { Db } from '../../backend/db';
import { importFile } from '../../shared/import';
import { base64ToBytes, loadArtifacts } from '../../shared/model';
import { mulberry32 } from '../../shared/random';
import type { Release } from '../../shared/schemas';
import { writeSyntheticDump } from '../fixtures/import/synthetic-dump';
import { RssSampler, log, summarise, timeRuns, type BenchResult } from './lib';

export interface BackendOptions {
  quick: boolean;
  /** The smallest sizes and one run each: for the test of the bench's output, not for numbers. */
  tiny?: boolean;
  /** Records in the database for selectBatch (100,000 in the issue). */
  records?: number;
}

const GENRES: [string, string[]][] = [
  ['Jazz', ['Hard Bop', 'Modal', 'Free Jazz']],
  ['Electronic', ['Techno', 'House', 'Ambient']],
  ['Rock', ['Post-Punk', 'Indie Rock', 'Psychedelic Rock']],
  ['Reggae', ['Dub', 'Roots Reggae']],
];

/** An invented record (names, label, year, genre and style drawn from `rand`). */
export function benchRelease(id: number, rand: () => number): Release {
  const [genre, styles] = GENRES[Math.floor(rand() * GENRES.length)]!;
  return {
    id,
    masterId: null,
    title: `Bench ${id}`,
    artists: [`Artist ${Math.floor(rand() * 5000)}`],
    labels: [{ name: `Label ${Math.floor(rand() * 800)}`, catno: null }],
    year: 1950 + Math.floor(rand() * 75),
    released: null,
    country: null,
    genres: [genre],
    styles: [styles[Math.floor(rand() * styles.length)]!],
    formats: [{ name: 'Vinyl', qty: 1, descriptions: ['LP'] }],
    community: { have: Math.floor(rand() * 5000), want: Math.floor(rand() * 3000), rating: null, ratingCount: null },
    lowestPrice: null,
    thumb: null,
  };
}

type Client = ReturnType<typeof client>;

function client(url: string, token: string | null) {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url, headers: () => (token ? { authorization: `Bearer ${token}` } : {}) })] });
}

/** The selectBatch log line's phases, collected from the app's logger. */
class PhaseLog {
  readonly phases: (SelectPhases & { ms: number })[] = [];
  /** `ms` of each 'online update: new model version' line: the training job's own time. */
  readonly onlineMs: number[] = [];
  readonly stream = {
    write: (line: string) => {
      const entry = JSON.parse(line) as { level: number; msg: string; phases?: SelectPhases; ms?: number };
      if (entry.msg === 'selected batch' && entry.phases) this.phases.push({ ...entry.phases, ms: entry.ms ?? NaN });
      else if (entry.msg === 'online update: new model version' && typeof entry.ms === 'number') this.onlineMs.push(entry.ms);
      else if (entry.level >= 40) process.stderr.write(line);
    },
  };
}

interface Served {
  app: App;
  server: RunningServer;
  url: string;
}

async function serve(dbFile: string, phases: PhaseLog): Promise<Served> {
  const app = await App.create({ dbFile, logger: pino({ level: 'info' }, phases.stream), trainer: 'worker', seed: 1, random: mulberry32(3) });
  const server = await startServer(app, { port: 0, host: '127.0.0.1' });
  return { app, server, url: server.url };
}

async function stop(s: Served): Promise<void> {
  await s.server.close();
  await s.app.close();
}

async function waitForNewVersion(c: Client, previous: string): Promise<string> {
  const deadline = performance.now() + 120_000;
  for (;;) {
    const latest = await c.models.latest.query();
    if (latest.version !== previous) return latest.version;
    if (performance.now() > deadline) throw new Error(`no new model version 120 s after labels.submit (still ${previous})`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One batch chosen and labelled over HTTP; ms from labels.submit to models.latest naming the new version. */
async function labelOneBatch(c: Client, run: number): Promise<{ endToEnd: number; selectAfterUpdate: number }> {
  const before = (await c.models.latest.query()).version;
  const batch = await c.bandit.selectBatch.mutate({});
  const labels = batch.items.map((it, i) => ({ clientId: `bench-${run}-${batch.batchId}-${i}`, releaseId: it.releaseId, keeper: i % 3 === 0, batchId: batch.batchId, labelledAt: new Date().toISOString() }));
  const t = performance.now();
  const res = await c.labels.submit.mutate({ labels });
  if (res.completedBatchIds.length !== 1) throw new Error(`batch ${batch.batchId} was not completed by its 20 labels`);
  await waitForNewVersion(c, before);
  const endToEnd = performance.now() - t;
  // The first batch on the new version: a new model to load, its embeddings not cached yet.
  const s = performance.now();
  await c.bandit.selectBatch.mutate({});
  return { endToEnd, selectAfterUpdate: performance.now() - s };
}

function phaseResults(phases: (SelectPhases & { ms: number })[], prefix: string): BenchResult[] {
  const keys = ['sample', 'score', 'policy', 'labelled', 'reasons', 'store'] as const;
  return keys.map((k) => summarise(`${prefix}.phase.${k}`, 'ms', phases.map((p) => p[k]), { note: `variant: the ${k} phase of selectBatch (from its log line)` }));
}

/** A Discogs collection export of `rows` rows (the columns of a real one). */
function collectionCsv(rows: number): string {
  const lines = ['Catalog#,Artist,Title,Label,Format,Rating,Released,release_id,CollectionFolder,Date Added,Collection Media Condition,Collection Sleeve Condition,Collection Notes'];
  for (let i = 0; i < rows; i++) {
    lines.push(`"CAT ${i}",Artist ${i % 311},Record ${i},Label ${i % 97},"LP, Album",${i % 6},${1960 + (i % 60)},${500_000 + i},Uncategorized,2021-05-01 10:20:30,,,`);
  }
  return `${lines.join('\n')}\n`;
}

async function importInto(dir: string, file: string, run: string, opts: { asKeepers?: boolean } = {}): Promise<{ ms: number; records: number; peakRssMb: number; growthMb: number }> {
  const db = await Db.open(path.join(dir, `import-${run}.sqlite`));
  const rss = new RssSampler();
  const before = process.memoryUsage().rss / 2 ** 20;
  rss.start();
  try {
    const t = performance.now();
    const sink = await createImportSink(db, file, { asKeepers: opts.asKeepers });
    const result = await importFile(file, sink);
    await sink.finish('done', { format: result.format, problems: result.problemCount });
    const peakRssMb = rss.stop();
    return { ms: performance.now() - t, records: result.records, peakRssMb, growthMb: peakRssMb - before };
  } finally {
    rss.stop();
    await db.close();
  }
}

/** Runs (or sizes) by mode: tiny 1, quick, full. */
function pick(opts: BackendOptions, quick: number, full: number): number {
  return opts.tiny ? 1 : opts.quick ? quick : full;
}

export async function benchImport(opts: BackendOptions): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keepers-bench-import-'));
  const results: BenchResult[] = [];
  try {
    const big = opts.tiny ? 1000 : opts.quick ? 20_000 : 100_000;
    const small = big / 5;
    const runs = pick(opts, 2, 3);
    for (const [count, name] of [
      [small, `import.dump.rps.${small / 1000}k`],
      [big, 'import.dump.rps'],
    ] as const) {
      const file = path.join(dir, `dump-${count}.xml`);
      await writeSyntheticDump(file, count, { gzip: false });
      const rps: number[] = [];
      const growth: number[] = [];
      let peak = 0;
      for (let r = 0; r < runs; r++) {
        const got = await importInto(dir, file, `${count}-${r}`);
        if (got.records !== count) throw new Error(`dump import stored ${got.records} of ${count} records`);
        rps.push(count / (got.ms / 1000));
        growth.push(Math.round(got.growthMb * 10) / 10);
        peak = Math.max(peak, got.peakRssMb);
      }
      const growthResult = summarise(`${name}.rssGrowthMb`, 'MB', growth, { note: `variant: how far RSS rose above its level at the start of the ${count.toLocaleString('en')}-record import (flat memory: about the same for both sizes)` });
      const result = summarise(name, 'records/s', rps, {
        peakRssMb: peak,
        ...(name === 'import.dump.rps' ? { target: { op: '>=', value: 10_000 } } : {}),
        note: `${count.toLocaleString('en')} releases of a synthetic Discogs XML dump (2020 layout) into a fresh SQLite file; peak RSS of the whole bench process (compare the two sizes for flatness)`,
      });
      log(result);
      log(growthResult);
      results.push(result, growthResult);
    }
    // The parser alone: the same dump into a sink that stores nothing (how much of the import is SQLite).
    const parseFile = path.join(dir, `dump-${big}.xml`);
    const parseRps: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      const got = await importFile(parseFile, { resumeFrom: async () => 0, writeChunk: async () => {} });
      parseRps.push(got.records / ((performance.now() - t) / 1000));
    }
    const parseResult = summarise('import.dump.parseOnly.rps', 'records/s', parseRps, { note: `variant: the ${big.toLocaleString('en')}-record dump read into a sink that stores nothing (the parser's share)` });
    log(parseResult);
    results.push(parseResult);
    const csv = path.join(dir, 'collection.csv');
    writeFileSync(csv, collectionCsv(2500));
    const csvTimes: number[] = [];
    let csvPeak = 0;
    for (let r = 0; r < pick(opts, 3, 5); r++) {
      const got = await importInto(dir, csv, `csv-${r}`, { asKeepers: true });
      if (got.records !== 2500) throw new Error(`CSV import stored ${got.records} of 2500 rows`);
      csvTimes.push(got.ms);
      csvPeak = Math.max(csvPeak, got.peakRssMb);
    }
    const csvResult = summarise('import.csv2500', 'ms', csvTimes, { peakRssMb: csvPeak, note: 'a 2,500-row collection export, --as-keepers (records + list items + keeper labels), fresh SQLite file' });
    log(csvResult);
    results.push(csvResult);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

export async function benchBackend(opts: BackendOptions): Promise<BenchResult[]> {
  const total = opts.records ?? 100_000;
  const k = `${Math.round(total / 1000)}k`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'keepers-bench-backend-'));
  const dbFile = path.join(dir, 'bench.sqlite');
  const results: BenchResult[] = [];
  const phases = new PhaseLog();
  let served = await serve(dbFile, phases);
  try {
    const rand = mulberry32(7);
    for (let start = 1; start <= total; start += 10_000) {
      await upsertReleases(served.app.db, Array.from({ length: Math.min(10_000, total - start + 1) }, (_, i) => benchRelease(start + i, rand)), 'import');
    }
    // One record in ten labelled (10,000 of 100,000): the history a long-time collector has, and what
    // labels.since and a full retrain read.
    await served.app.db.write((q) =>
      q.run(`INSERT INTO labels (client_id, release_id, keeper, labelled_at, received_at) SELECT 'bench-' || id, id, id % 3 = 0, '2026-01-01T00:00:00Z', 'x' FROM records WHERE id % 10 = 0`),
    );
    const { code } = await createPairingCode(served.app.db);
    const { token } = await client(served.url, null).devices.pair.mutate({ pairingCode: code, deviceName: 'bench' });
    let c = client(served.url, token);

    // Online updates through the server; the first one also fits the default learner's head, so the
    // batches below are chosen the way a collector with labels gets them.
    const e2e: number[] = [];
    const afterUpdate: number[] = [];
    const e2eRuns = pick(opts, 3, 6);
    for (let r = -1; r < e2eRuns; r++) {
      const got = await labelOneBatch(c, r);
      if (r >= 0) {
        e2e.push(got.endToEnd);
        afterUpdate.push(got.selectAfterUpdate);
      }
    }
    const e2eResult = summarise('onlineUpdate.endToEnd', 'ms', e2e, {
      target: { op: '<=', value: 500 },
      note: `HTTP labels.submit of a batch of 20 → worker update → models.latest names the new version (polled every 5 ms), ${(10_000).toLocaleString('en')}+ earlier labels`,
    });
    const afterResult = summarise(`selectBatch.http.${k}.afterUpdate`, 'ms', afterUpdate, { note: 'variant: the first selectBatch on a version the worker just made' });
    const jobResult = summarise('onlineUpdate.endToEnd.job', 'ms', phases.onlineMs.slice(-e2e.length), {
      note: 'variant: the training job\'s own time in the worker (its log line), out of onlineUpdate.endToEnd; the rest is reading the labels and artifacts, storing the version and the polling',
    });
    log(e2eResult);
    log(jobResult);
    log(afterResult);
    results.push(e2eResult, jobResult, afterResult);

    const phaseStart = phases.phases.length;
    results.push(
      await timeRuns(`selectBatch.http.${k}`, () => c.bandit.selectBatch.mutate({}), {
        runs: pick(opts, 5, 15),
        warmup: 1,
        extra: { target: { op: '<=', value: 150 }, note: `HTTP bandit.selectBatch (pool 1000, batch 20, default policy) on ${total.toLocaleString('en')} records, same model version` },
      }),
    );
    results.push(...phaseResults(phases.phases.slice(phaseStart + 1), `selectBatch.http.${k}`));

    // labels.since as the extension's sync pulls it (pages of 1,000) and in pages of 5,000.
    const labelCount = Math.floor(total / 10) + (e2eRuns + 1) * 20;
    const lk = `${Math.round(labelCount / 1000)}k`;
    for (const limit of [1000, 5000]) {
      results.push(
        await timeRuns(limit === 1000 ? `labels.since.${lk}` : `labels.since.${lk}.pages5000`, async () => {
          let cursor = 0;
          let n = 0;
          for (let more = true; more; ) {
            const page = await c.labels.since.query({ cursor, limit });
            cursor = page.cursor;
            n += page.labels.length;
            more = page.hasMore;
          }
          if (n !== labelCount) throw new Error(`labels.since returned ${n} labels, expected ${labelCount}`);
        }, { runs: pick(opts, 5, 15), warmup: 1, extra: { ...(limit === 1000 ? { target: { op: '<=' as const, value: 200 } } : {}), note: `every label (${labelCount.toLocaleString('en')}) over HTTP in pages of ${limit}` } }),
      );
    }

    const latest = await c.models.latest.query();
    const artifacts = await c.models.weights.query({ version: latest.version });
    const bytes = Buffer.byteLength(JSON.stringify(artifacts));
    const weightsOnly = base64ToBytes(artifacts.weightsBase64).length;
    results.push(
      summarise('weights.bytes', 'bytes', [bytes], { target: { op: '<=', value: 300_000 }, note: 'models.weights of the active (default-learner) version as JSON: weights, posterior rows, optimizer state' }),
      summarise('weights.bytes.float32', 'bytes', [weightsOnly], { note: 'variant: the float32 weights alone (decoded)' }),
    );
    results.slice(-2).forEach(log);
    results.push(
      await timeRuns('sync.weights', async () => {
        const v = (await c.models.latest.query()).version;
        const a = await c.models.weights.query({ version: v });
        (await loadArtifacts(a)).dispose();
      }, { runs: pick(opts, 5, 15), warmup: 1, extra: { note: 'models.latest + models.weights over HTTP, then loadArtifacts (sha256 verify, schema check, posterior refactorised, tf variables)' } }),
    );

    results.push(
      await timeRuns(`retrain.${lk}`, () => served.app.training.fullTrain(), {
        runs: pick(opts, 1, 2),
        warmup: 0,
        extra: { target: { op: '<=', value: 30_000 }, note: `keepers train (fullTrain in the worker) on ${labelCount.toLocaleString('en')} labels, default policy` },
      }),
    );

    // Cold: a freshly started server on the same file (model loaded, caches empty) answering its first batch.
    const cold: number[] = [];
    for (let r = 0; r < pick(opts, 2, 3); r++) {
      await stop(served);
      served = await serve(dbFile, phases);
      c = client(served.url, token);
      const t = performance.now();
      await c.bandit.selectBatch.mutate({});
      cold.push(performance.now() - t);
    }
    const coldResult = summarise(`selectBatch.http.${k}.cold`, 'ms', cold, { target: { op: '<=', value: 400 }, note: 'the first selectBatch of a freshly started server on the same database (model not loaded, caches empty; the OS file cache is warm)' });
    log(coldResult);
    results.push(coldResult);
  } finally {
    await stop(served);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
