// Backend benchmark: `node --import tsx tests/bench/backend.ts [--records N] [--batches N] [--policy neural-ts|seed|random]`.
// Measures, on a fresh SQLite file in a temp dir: chunked record upserts, pool sampling against
// ORDER BY RANDOM(), batch selection (pool 1000, 30 MC passes, reasons), label submission, and the
// online update in the worker with the event loop's longest pause meanwhile. Selection prints its phases
// (from its log line) and the median over the batches (batch 0 runs on a cold embedding cache).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { App } from '../../backend/app';
import { upsertReleases, sampleUnlabelled } from '../../backend/records';
import { selectBatch, type SelectPhases } from '../../backend/bandit';
import { DEFAULT_POLICY, POLICIES, isPolicyName } from '../../backend/bandit';
import { submitLabels } from '../../backend/labels';
import { mulberry32 } from '../../shared/random';
import type { Release } from '../../shared/schemas';

const { values } = parseArgs({ options: { records: { type: 'string', default: '100000' }, batches: { type: 'string', default: '3' }, policy: { type: 'string', default: DEFAULT_POLICY } } });
const total = Number(values.records);
const batches = Number(values.batches);
const policy = values.policy;
if (!isPolicyName(policy)) throw new Error(`--policy must be one of ${POLICIES.join(', ')}, got ${policy}`);

const GENRES: [string, string[]][] = [
  ['Jazz', ['Hard Bop', 'Modal', 'Free Jazz']],
  ['Electronic', ['Techno', 'House', 'Ambient']],
  ['Rock', ['Post-Punk', 'Indie Rock', 'Psychedelic Rock']],
  ['Reggae', ['Dub', 'Roots Reggae']],
];

function release(id: number, rand: () => number): Release {
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

const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'keepers-bench-'));
try {
  // The 'selected batch' log lines carry the phase timings; everything else below warn is dropped.
  const phases: (SelectPhases & { ms: number })[] = [];
  const logStream = {
    write(line: string) {
      const entry = JSON.parse(line) as { level: number; msg: string; phases?: SelectPhases; ms?: number };
      if (entry.msg === 'selected batch' && entry.phases) phases.push({ ...entry.phases, ms: entry.ms ?? NaN });
      else if (entry.level >= 40) process.stderr.write(line);
    },
  };
  const app = await App.create({ dbFile: path.join(dir, 'bench.sqlite'), logger: pino({ level: 'info' }, logStream), trainer: 'worker', seed: 1 });
  const rand = mulberry32(7);
  let t = performance.now();
  for (let start = 1; start <= total; start += 10_000) {
    const chunk = Array.from({ length: Math.min(10_000, total - start + 1) }, (_, i) => release(start + i, rand));
    await upsertReleases(app.db, chunk, 'import');
  }
  console.log(`upsert ${total} records (chunks of 10,000): ${ms(t)}`);
  await app.db.write((q) => q.run(`INSERT INTO labels (client_id, release_id, keeper, labelled_at, received_at) SELECT 'bench-' || id, id, id % 3 = 0, '2026-01-01T00:00:00Z', 'x' FROM records WHERE id % 20 = 0`));
  for (let i = 0; i < 3; i++) {
    t = performance.now();
    await sampleUnlabelled(app.db, 1000);
    const ours = ms(t);
    t = performance.now();
    await app.db.all('SELECT id, release_json FROM records WHERE NOT EXISTS (SELECT 1 FROM labels l WHERE l.release_id = records.id) ORDER BY RANDOM() LIMIT 1000');
    console.log(`pool of 1000 (5% labelled): sampleUnlabelled ${ours}, ORDER BY RANDOM() ${ms(t)}`);
  }
  for (let b = 0; b < batches; b++) {
    t = performance.now();
    const batch = await selectBatch(app, null, { poolSize: 1000, batchSize: 20, policy });
    const select = ms(t);
    t = performance.now();
    const res = await submitLabels(app.db, null, batch.items.map((it, i) => ({ clientId: `b${batch.batchId}-${i}`, releaseId: it.releaseId, keeper: i % 3 === 0, batchId: batch.batchId, labelledAt: new Date().toISOString() })));
    const submit = ms(t);
    let longest = 0;
    let last = performance.now();
    const probe = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    t = performance.now();
    await app.training.scheduleOnlineUpdates(res.completedBatchIds);
    clearInterval(probe);
    console.log(`batch ${batch.batchNumber}: phases ${JSON.stringify(phases.at(-1))}`);
    console.log(`batch ${batch.batchNumber}: select ${select} | submit 20 labels ${submit} | online update ${ms(t)} (worker; longest event-loop pause ${longest.toFixed(0)} ms)`);
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  const keys = ['ms', 'sample', 'score', 'policy', 'labelled', 'reasons', 'store'] as const;
  console.log(`policy ${policy}`);
  console.log(`selectBatch medians over ${phases.length} batches (ms): ${keys.map((k) => `${k === 'ms' ? 'total' : k} ${median(phases.map((p) => p[k]))}`).join(', ')}`);
  await app.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
