// Speed benchmark of the ML core (not a test): `npm run bench [-- --runs 15 --backend wasm]`.
// Writes bench-results/bench.json and bench-results/report.md with medians, p90, the targets of the
// issue (scoring 1000 candidates × 30 MC samples ≤ 150 ms; one online update ≤ 300 ms, Node, WASM)
// and variants side by side. The machine may be shared: the load average is recorded with the numbers.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encodeReleases } from '../../shared/features';
import { releaseFromPoolRecord, type Release } from '../../shared/schemas';
import { KeepersModel, initTf, patchWasmTransposedMatMul, predict, tf, type BackendName, type KeepersConfig } from '../../shared/model';
import { configForPolicy, learn, onlineUpdate, posteriorRows, selectThompson, type LabelledRelease } from '../../shared/bandit';
import { TastePosterior } from '../../shared/model';
import { dataPath, hasData, REPO_ROOT } from '../helpers/data';
import { syntheticCatalogue } from '../fixtures/ml/catalogue';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string', default: path.join(REPO_ROOT, 'bench-results') },
  },
});
const RUNS = Number(args.runs);
const WARMUP = 3;

interface Stat {
  name: string;
  group: 'score' | 'update' | 'parts';
  runs: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  /** CPU time of this process (user + system) per run, median: much less sensitive to other people's load than wall time. */
  cpuMedianMs: number;
  targetMs?: number;
  note?: string;
}

function quantile(sorted: number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

async function measure(name: string, group: Stat['group'], fn: () => unknown, extra: Partial<Stat> = {}, runs = RUNS): Promise<Stat> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const stat: Stat = { name, group, runs, medianMs: quantile(times, 0.5), p90Ms: quantile(times, 0.9), minMs: times[0]!, cpuMedianMs: quantile(cpu, 0.5), ...extra };
  console.log(
    `${name.padEnd(58)} median ${stat.medianMs.toFixed(1).padStart(7)} ms   p90 ${stat.p90Ms.toFixed(1).padStart(7)} ms   cpu ${stat.cpuMedianMs.toFixed(1).padStart(7)} ms`,
  );
  return stat;
}

function loadPool(): { releases: Release[]; keeper: boolean[]; source: string } {
  if (hasData) {
    // Real records (read at run time, never copied): 1,000 candidates + 220 labelled by a simple
    // taste (Electronic = keeper) so the update mines real triplets.
    const lines = readFileSync(dataPath('derived/canonical/pool.jsonl'), 'utf8').split('\n').filter((l) => l.trim());
    const releases = lines.slice(0, 2220).map((l) => releaseFromPoolRecord(JSON.parse(l)));
    return { releases, keeper: releases.map((r) => r.genres.includes('Electronic')), source: 'derived/canonical/pool.jsonl (first 2,220 records)' };
  }
  const cat = syntheticCatalogue(2220, 7);
  return { ...cat, source: 'synthetic catalogue (../shared/data absent)' };
}

const load0 = os.loadavg();
const { releases, keeper, source } = loadPool();
const candidates = encodeReleases(releases.slice(0, 1000));
const labelled: LabelledRelease[] = releases.slice(1000, 1220).map((release, i) => ({ release, keeper: keeper[1000 + i]! }));
/** The default learner's update on 1,000 labels (the newest 20 a batch). */
const thousand: LabelledRelease[] = releases.slice(1220, 2220).map((release, i) => ({ release, keeper: keeper[1220 + i]! }));
const batch = labelled.slice(0, 20);
const history = labelled.slice(20);

const stats: Stat[] = [];
let backend: BackendName;
if (args.backend === 'wasm') {
  // Measure training once without the transposed-matMul kernel patch, then install it (initTf does).
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend('wasm')) || tf.getBackend() !== 'wasm') throw new Error(`WASM backend did not activate (active: ${tf.getBackend()})`);
  const unpatched = KeepersModel.create({}, 1);
  let b = 0;
  stats.push(
    await measure('online update, stock WASM matMul (no transpose patch)', 'update', () => onlineUpdate(unpatched, { batch, history, batchNumber: b++ }), {
      note: 'tfjs BatchMatMul with transpose flags, as shipped',
    }, Math.min(RUNS, 8)),
  );
  unpatched.dispose();
  patchWasmTransposedMatMul();
  backend = await initTf(['wasm']);
} else {
  backend = await initTf([args.backend as BackendName]);
}

const model = KeepersModel.create({}, 1);
stats.push(
  await measure('score 1000 × 30 MC: 30 separate head calls (default)', 'score', () => predict(model, candidates, { samples: 30 }), { targetMs: 150 }),
  await measure('score 1000 × 30 MC: one batched head call', 'score', () => predict(model, candidates, { samples: 30, mode: 'batched' }), { targetMs: 150 }),
  await measure('score 1000 × 30 MC + embeddings', 'score', () => predict(model, candidates, { samples: 30, withEmbedding: true })),
  await measure('encoder only: embed 1000', 'parts', () => model.embed(candidates).dispose()),
  await measure('score 1000, 1 pass without dropout', 'parts', () => predict(model, candidates, { samples: 1, dropout: false })),
  await measure('encode features of 1000 releases (JS)', 'parts', () => encodeReleases(releases.slice(0, 1000))),
);

async function updateVariant(name: string, config: Partial<KeepersConfig>, extra: Partial<Stat> = {}): Promise<Stat> {
  const m = KeepersModel.create({}, 2);
  let b = 0;
  const s = await measure(name, 'update', () => onlineUpdate(m, { batch, history, batchNumber: b++ }, { config }), extra);
  m.dispose();
  return s;
}
stats.push(
  await updateVariant('online update: 10 epochs, 20 labels + triplets (default)', {}, { targetMs: 300 }),
  await updateVariant('online update without prior probes (priorProbes: 0)', { priorProbes: 0 }),
  await updateVariant('online update with replay of 20 earlier labels', { replay: 20 }),
);

// The default learner (neural-ts): encoder steps + Bayesian head refit on 1,000 labels, and a
// Thompson batch of 20 from 1,000 candidates with that head (posterior std of the picks only, as the
// backend asks, and of every candidate, as the simulator asks).
{
  const m = KeepersModel.create(configForPolicy('neural-ts'), 3);
  let b = 0;
  stats.push(
    await measure('neural-ts: learn on 1,000 labels (encoder steps + head refit)', 'update', () => learn(m, { batch: thousand.slice(980), history: thousand.slice(0, 980), batchNumber: b++ }), { targetMs: 500 }, Math.min(RUNS, 8)),
  );
  const rows = posteriorRows(m, { batch: thousand.slice(980), history: thousand.slice(0, 980), batchNumber: 0 }).rows;
  stats.push(
    await measure('neural-ts parts: head refit alone (Cholesky of 1,000 rows)', 'parts', () => TastePosterior.fit(rows, m.config.posterior), {}, Math.min(RUNS, 8)),
    await measure('neural-ts: Thompson batch of 20 from 1,000 (std of the picks)', 'score', () => selectThompson(m, releases.slice(0, 1000), { batchSize: 20, seed: 1, uncertaintyFor: 'picks' }), {}, Math.min(RUNS, 8)),
    await measure('neural-ts: Thompson batch of 20 from 1,000 (std of all 1,000)', 'score', () => selectThompson(m, releases.slice(0, 1000), { batchSize: 20, seed: 1 }), {}, Math.min(RUNS, 5)),
  );
  m.dispose();
}
const load1 = os.loadavg();

const result = {
  createdAt: new Date().toISOString(),
  backend,
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model ?? 'unknown',
  loadAverage1m: { start: load0[0], end: load1[0] },
  data: source,
  history: history.length,
  runs: RUNS,
  warmup: WARMUP,
  stats,
};
mkdirSync(args.out, { recursive: true });
writeFileSync(path.join(args.out, 'bench.json'), JSON.stringify(result, null, 2) + '\n');

const def = (name: string) => stats.find((s) => s.name.startsWith(name))!;
const loopScore = def('score 1000 × 30 MC: 30 separate');
const batchedScore = def('score 1000 × 30 MC: one batched');
const update = def('online update: 10 epochs');
const learnStat = def('neural-ts: learn on 1,000 labels');
const stock = stats.find((s) => s.name.startsWith('online update, stock'));
const lines = [
  '# Discogs Keepers ML benchmark',
  '',
  `- backend **${backend}**, Node ${process.version}, ${result.cpus} CPUs (${result.cpuModel})`,
  `- load average (1 min) at start ${load0[0]!.toFixed(2)}, at end ${load1[0]!.toFixed(2)}: on a shared machine the medians include other people's work`,
  `- data: ${source}; history of ${history.length} labels; ${WARMUP} warm-up runs, ${RUNS} measured runs each`,
  '',
  '| variant | median ms | p90 ms | min ms | CPU-time median ms | target ms | median / target |',
  '|---|---:|---:|---:|---:|---:|---:|',
  ...stats.map(
    (s) =>
      `| ${s.name} | ${s.medianMs.toFixed(1)} | ${s.p90Ms.toFixed(1)} | ${s.minMs.toFixed(1)} | ${s.cpuMedianMs.toFixed(1)} | ${s.targetMs ?? ''} | ${s.targetMs ? (s.medianMs / s.targetMs).toFixed(2) : ''} |`,
  ),
  '',
  'CPU time is this process\'s user + system time per run: close to the wall time the same run would take on an idle machine (tfjs-wasm is single-threaded here).',
  '',
  '## Ratios',
  '',
  `- one batched head call / 30 separate calls: ${(batchedScore.medianMs / loopScore.medianMs).toFixed(2)}`,
  ...(stock ? [`- stock WASM matMul / patched (online update): ${(stock.medianMs / update.medianMs).toFixed(2)}`] : []),
  `- scoring target met (median ≤ 150 ms): **${loopScore.medianMs <= 150 ? 'yes' : 'no'}**; online-update target met (median ≤ 300 ms): **${update.medianMs <= 300 ? 'yes' : 'no'}**`,
  `- default learner (neural-ts) update on 1,000 labels ≤ 500 ms: **${learnStat.medianMs <= 500 ? 'yes' : 'no'}** (median ${learnStat.medianMs.toFixed(0)} ms, CPU ${learnStat.cpuMedianMs.toFixed(0)} ms)`,
  '',
];
writeFileSync(path.join(args.out, 'report.md'), lines.join('\n'));
console.log(`\nwrote ${path.join(args.out, 'bench.json')} and report.md`);
model.dispose();
