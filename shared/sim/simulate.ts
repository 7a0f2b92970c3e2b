// Orchestrates a simulation: loads the inputs once per user, runs every (policy, seed) pair – in
// worker processes when asked, since tfjs-wasm uses one core per process – and assembles the report.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildWorld, importedCount, runPolicy } from './engine';
import { isKeeper, loadKeepers, loadPool, mergePool, type Keepers } from './data';
import { DEFAULT_POLICY, MODEL_POLICIES, resolvePolicyName } from './policies';
import type { SimWorld } from './policy';
import { summarise } from './summary';
import { isWarmStart, type RunRecord, type Scenario, type SimReport } from './types';

export interface SimOptions {
  keepersFile: string;
  /** null: the file's only user (or a CSV / API export, which has no user) */
  user: string | null;
  kinds: string[];
  poolFiles: string[];
  policies: string[];
  seeds: number[];
  batches: number;
  batchSize: number;
  poolSize: number;
  scenario: Scenario;
  shiftUser: string | null;
  /** worker processes; 1 runs everything in this process */
  workers: number;
  /** draw the UMAP embedding map for the first model policy's first seed */
  embeddingMap: boolean;
  /** overrides of the model's hyperparameters for greedy / seed / neural-linear ({} = the product's defaults) */
  modelConfig?: Record<string, unknown>;
  log?: (line: string) => void;
}

export interface PreparedUser {
  world: SimWorld;
  keepers: Uint8Array;
  shiftKeepers: Uint8Array | null;
  keepersInPool: number;
  keepersMissingFromPool: number;
  userName: string;
}

function flags(pool: SimWorld['pool'], k: Keepers): Uint8Array {
  return Uint8Array.from(pool, (r) => (isKeeper(k, r) ? 1 : 0));
}

/** Deterministic: the parent and every worker build the very same world from the same options. */
export async function prepareUser(opts: Pick<SimOptions, 'keepersFile' | 'user' | 'kinds' | 'poolFiles' | 'scenario' | 'shiftUser'>): Promise<PreparedUser> {
  const pool = await loadPool(opts.poolFiles);
  const keepers = await loadKeepers(opts.keepersFile, { user: opts.user, kinds: opts.kinds });
  let shift: Keepers | null = null;
  if (opts.scenario === 'shift') {
    if (!opts.shiftUser) throw new Error('--scenario shift needs --shift-user NAME (whose taste the collector switches to)');
    shift = await loadKeepers(opts.keepersFile, { user: opts.shiftUser, kinds: opts.kinds });
  }
  let all = mergePool(pool, keepers);
  if (shift) all = mergePool(all, shift);
  const world = buildWorld(all);
  const keeperFlags = flags(all, keepers);
  const keepersInPool = keeperFlags.reduce((s: number, v) => s + v, 0);
  if (keepersInPool === 0) throw new Error(`none of the keepers in ${opts.keepersFile} is in the pool (${opts.poolFiles.join(', ')})`);
  const listed = keepers.releaseIds.size + keepers.masterIds.size;
  return {
    world,
    keepers: keeperFlags,
    shiftKeepers: shift ? flags(all, shift) : null,
    keepersInPool,
    keepersMissingFromPool: Math.max(0, listed - keepersInPool),
    userName: opts.user ?? path.basename(opts.keepersFile),
  };
}

interface Job { policy: string; seed: number; embeddingMap: boolean }

function jobsFor(opts: SimOptions): Job[] {
  // The longest (model) runs first, so that the workers finish together.
  const ordered = [...opts.policies].sort((a, b) => Number(MODEL_POLICIES.has(b)) - Number(MODEL_POLICIES.has(a)));
  const mapPolicy = opts.policies.includes('seed') ? 'seed' : opts.policies.find((p) => MODEL_POLICIES.has(p));
  const jobs: Job[] = [];
  for (const policy of ordered) {
    for (const seed of opts.seeds) jobs.push({ policy, seed, embeddingMap: opts.embeddingMap && policy === mapPolicy && seed === opts.seeds[0] });
  }
  return jobs;
}

async function runJob(prepared: PreparedUser, opts: SimOptions, job: Job): Promise<RunRecord> {
  return runPolicy({
    world: prepared.world,
    keepers: prepared.keepers,
    shiftKeepers: prepared.shiftKeepers,
    scenario: opts.scenario,
    policy: job.policy,
    seed: job.seed,
    batches: opts.batches,
    batchSize: opts.batchSize,
    poolSize: opts.poolSize,
    embeddingMap: job.embeddingMap,
    modelConfig: opts.modelConfig,
  });
}

async function tfBackend(opts: SimOptions): Promise<string | null> {
  if (!opts.policies.some((p) => MODEL_POLICIES.has(p))) return null;
  return (await import('./policies/model')).ensureTf();
}

// ---- worker processes -------------------------------------------------------------------------
type ToWorker = { type: 'init'; opts: SimOptions } | { type: 'job'; job: Job } | { type: 'exit' };
type FromWorker = { type: 'ready'; backend: string | null } | { type: 'done'; run: RunRecord } | { type: 'error'; message: string };

const WORKER_FLAG = '--keepers-sim-worker';

/** Entry of a worker process (started by runInWorkers through cli.ts). */
export function isWorkerProcess(argv: string[] = process.argv): boolean {
  return argv.includes(WORKER_FLAG);
}

export function serveWorker(): void {
  let prepared: PreparedUser | null = null;
  let options: SimOptions | null = null;
  const send = (m: FromWorker) => process.send?.(m);
  process.on('message', (msg: ToWorker) => {
    void (async () => {
      try {
        if (msg.type === 'init') {
          options = msg.opts;
          prepared = await prepareUser(options);
          send({ type: 'ready', backend: await tfBackend(options) });
        } else if (msg.type === 'job') {
          send({ type: 'done', run: await runJob(prepared!, options!, msg.job) });
        } else {
          process.exit(0);
        }
      } catch (err) {
        send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
      }
    })();
  });
}

async function runInWorkers(opts: SimOptions, jobs: Job[], onRun: (run: RunRecord) => void): Promise<{ runs: RunRecord[]; backend: string | null }> {
  const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cli.ts');
  const queue = jobs.slice();
  const runs: RunRecord[] = [];
  let backend: string | null = null;
  const children: ChildProcess[] = [];
  const { log: _log, ...plainOpts } = opts;
  try {
    await Promise.all(
      Array.from({ length: Math.min(opts.workers, jobs.length) }, () =>
        new Promise<void>((resolve, reject) => {
          const child = fork(cli, [WORKER_FLAG], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          children.push(child);
          const next = () => {
            const job = queue.shift();
            if (job) child.send({ type: 'job', job } satisfies ToWorker);
            else {
              child.send({ type: 'exit' } satisfies ToWorker);
              resolve();
            }
          };
          child.on('message', (m: FromWorker) => {
            if (m.type === 'ready') {
              backend = m.backend;
              next();
            } else if (m.type === 'done') {
              runs.push(m.run);
              onRun(m.run);
              next();
            } else reject(new Error(m.message));
          });
          child.on('exit', (code) => {
            if (code !== 0 && code !== null) reject(new Error(`a simulation worker exited with code ${code}`));
          });
          child.on('error', reject);
          child.send({ type: 'init', opts: plainOpts } satisfies ToWorker);
        }),
      ),
    );
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill();
  }
  return { runs, backend };
}

// ---- the simulation -----------------------------------------------------------------------------
export async function simulate(given: SimOptions): Promise<SimReport> {
  // `default` is the product's default learner; a name given twice runs once.
  const opts: SimOptions = { ...given, policies: [...new Set(given.policies.map(resolvePolicyName))] };
  const log = opts.log ?? (() => {});
  const prepared = await prepareUser(opts);
  const imported = isWarmStart(opts.scenario) ? importedCount(prepared.keepersInPool) : 0;
  log(
    `${prepared.userName}: ${prepared.world.pool.length} records in the pool, ${prepared.keepersInPool} keepers among them` +
      (imported > 0 ? `, ${imported} of them ${opts.scenario === 'warm-start-cold' ? 'withheld (not imported)' : 'imported before batch 0'}` : ''),
  );
  const jobs = jobsFor(opts);
  const started = Date.now();
  const onRun = (run: RunRecord) => {
    const found = run.batches.reduce((s, b) => s + b.keepers, 0);
    const first5 = run.batches.filter((b) => b.batch < 5).reduce((s, b) => s + b.keepers, 0);
    log(
      `${prepared.userName}: ${run.policy} seed ${run.seed}: ${found} keepers in ${run.batches.length} batches (${first5} in batches 0–4, ` +
        `regret ${run.batches.at(-1)?.regret ?? 0}) (${((Date.now() - started) / 1000).toFixed(0)} s)`,
    );
  };
  let runs: RunRecord[];
  let backend: string | null = null;
  if (opts.workers > 1 && jobs.length > 1) {
    ({ runs, backend } = await runInWorkers(opts, jobs, onRun));
  } else {
    backend = await tfBackend(opts);
    runs = [];
    for (const job of jobs) {
      const run = await runJob(prepared, opts, job);
      runs.push(run);
      onRun(run);
    }
  }
  // Stable order in the report, whatever order the workers finished in.
  runs.sort((a, b) => opts.policies.indexOf(a.policy) - opts.policies.indexOf(b.policy) || opts.seeds.indexOf(a.seed) - opts.seeds.indexOf(b.seed));
  return {
    policy: opts.policies,
    seeds: opts.seeds,
    scenario: opts.scenario,
    user: prepared.userName,
    settings: {
      batches: opts.batches,
      batchSize: opts.batchSize,
      poolSize: opts.poolSize,
      keepersFile: opts.keepersFile,
      poolFiles: opts.poolFiles,
      kinds: opts.kinds,
      shiftUser: opts.shiftUser,
      defaultPolicy: DEFAULT_POLICY,
      modelConfig: opts.modelConfig ?? {},
      poolRecords: prepared.world.pool.length,
      keepersInPool: prepared.keepersInPool,
      importedKeepers: imported,
      keepersToFind: prepared.keepersInPool - imported,
      keepersMissingFromPool: prepared.keepersMissingFromPool,
      backend,
    },
    runs,
    summary: summarise(runs, opts.policies),
  };
}
