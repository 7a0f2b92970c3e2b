// `npm run sim -- …` (and `keepers sim …`): the simulated collector on a real Discogs collection.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { COMPARE_POLICIES, DEFAULT_ALIAS, DEFAULT_POLICY, POLICY_NAMES, resolvePolicyName } from './policies';
import { comparisonMarkdown, comparisonSummary, userDirName, writeReport } from './report';
import { isWorkerProcess, serveWorker, simulate, type SimOptions } from './simulate';
import { SCENARIOS, type Scenario, type SimReport } from './types';

export const USAGE = `Usage: npm run sim -- --keepers FILE --pool FILE... [options]

  --keepers FILE     the collector's taste: a normalised collections .jsonl (with --user NAME),
                     a Discogs collection CSV export, or Discogs API collection/wantlist JSON pages
  --user NAME        which user's lists in a .jsonl file; repeat (or comma-separate) for several
                     users: each gets DIR/<user>/ and DIR/report.md compares them
  --kinds LIST       list kinds to use from a .jsonl file (default: collection)
  --pool FILE...     candidate catalogue(s): .jsonl of releases; the keepers are added to the pool
  --policy NAME      ${POLICY_NAMES.join(' | ')} | ${DEFAULT_ALIAS};
                     repeatable. ${DEFAULT_ALIAS} = what the product runs by default (now ${DEFAULT_POLICY});
                     oracle sees the labels (the yardstick regret is measured against)
  --compare          all baselines and the default learner: ${COMPARE_POLICIES.join(', ')}
  --batches N        default 50
  --batch-size N     default 20
  --pool-size N      candidates per batch, default 1000
  --seeds 1,2,3      several seeds (each policy sees the same pools per seed); --seed N for one
  --scenario NAME    ${SCENARIOS.join(' | ')} (default stationary)
                     shift: the taste switches to --shift-user's at mid-run; new-artists: 30% of
                     the artists join the pool at mid-run; warm-start: half of the keepers (seeded)
                     are imported before batch 0 with a CSV export's fields only, the rest are to find;
                     warm-start-enriched: the same, after a data-dump import filled in their genres
                     warm-start-cold: the control, the same half out of the pool, nothing imported
  --shift-user NAME  whose taste the collector switches to mid-run (scenario shift)
  --model-config JSON  overrides of the model's hyperparameters for greedy / seed / neural-linear / neural-ts,
                     e.g. '{"learningRate":0.001}' (default: the product's DESIGN §4 values)
  --workers N        worker processes (default: CPU count, at most 4)
  --no-map           skip the UMAP embedding map
  --out DIR          report.json, report.md and SVG plots (default sim-out); with several users
                     DIR/<user>/ each, DIR/report.md and DIR/comparison.json (sums over users)
`;

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${value}"`);
  return n;
}

export interface CliOptions { sim: Omit<SimOptions, 'user'>; users: (string | null)[]; outDir: string }

export function parseCliArgs(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      keepers: { type: 'string' },
      user: { type: 'string', multiple: true },
      kinds: { type: 'string' },
      pool: { type: 'string', multiple: true },
      policy: { type: 'string', multiple: true },
      compare: { type: 'boolean' },
      batches: { type: 'string' },
      'batch-size': { type: 'string' },
      'pool-size': { type: 'string' },
      seeds: { type: 'string' },
      seed: { type: 'string' },
      scenario: { type: 'string' },
      'shift-user': { type: 'string' },
      workers: { type: 'string' },
      'model-config': { type: 'string' },
      'no-map': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) throw new Error(USAGE);
  if (!values.keepers) throw new Error('--keepers FILE is required\n\n' + USAGE);
  if (!values.pool || values.pool.length === 0) throw new Error('--pool FILE is required\n\n' + USAGE);
  const given = [...(values.compare ? COMPARE_POLICIES : []), ...(values.policy ?? []).flatMap((p) => p.split(',').map((x) => x.trim()))].filter((p) => p !== '');
  for (const p of given) {
    if (p !== DEFAULT_ALIAS && !(POLICY_NAMES as readonly string[]).includes(p)) throw new Error(`unknown --policy "${p}": choose from ${[...POLICY_NAMES, DEFAULT_ALIAS].join(', ')}`);
  }
  const policies = [...new Set(given.map(resolvePolicyName))];
  if (policies.length === 0) throw new Error('choose a --policy (or --compare)');
  const seedText = values.seeds ?? values.seed ?? '1';
  const seeds = seedText.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0) throw new Error(`--seeds must be non-negative integers separated by commas, got "${seedText}"`);
    return n;
  });
  const scenario = (values.scenario ?? 'stationary') as Scenario;
  if (!SCENARIOS.includes(scenario)) throw new Error(`unknown --scenario "${values.scenario}": choose from ${SCENARIOS.join(', ')}`);
  let modelConfig: Record<string, unknown> = {};
  if (values['model-config'] !== undefined) {
    try {
      modelConfig = JSON.parse(values['model-config']) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`--model-config must be a JSON object: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof modelConfig !== 'object' || modelConfig === null || Array.isArray(modelConfig)) throw new Error('--model-config must be a JSON object');
  }
  const users = (values.user ?? []).flatMap((u) => u.split(',')).map((u) => u.trim()).filter((u) => u !== '');
  return {
    sim: {
      keepersFile: values.keepers,
      kinds: (values.kinds ?? 'collection').split(',').map((k) => k.trim()),
      poolFiles: values.pool,
      policies,
      seeds,
      batches: positiveInt('batches', values.batches, 50),
      batchSize: positiveInt('batch-size', values['batch-size'], 20),
      poolSize: positiveInt('pool-size', values['pool-size'], 1000),
      scenario,
      shiftUser: values['shift-user'] ?? null,
      workers: positiveInt('workers', values.workers, Math.min(4, os.availableParallelism())),
      embeddingMap: !values['no-map'],
      modelConfig,
    },
    users: users.length > 0 ? users : [null],
    outDir: values.out ?? 'sim-out',
  };
}

export async function runSimCli(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let parsed: CliOptions;
  try {
    parsed = parseCliArgs(argv);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  const command = `npm run sim -- ${argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')}`;
  const log = (line: string) => console.error(`[sim] ${line}`);
  const started = Date.now();
  try {
    const reports: SimReport[] = [];
    for (const user of parsed.users) {
      const dir = parsed.users.length > 1 ? path.join(parsed.outDir, userDirName(user ?? 'user')) : parsed.outDir;
      const report = await simulate({ ...parsed.sim, user, log });
      const files = await writeReport(report, dir, command);
      log(`wrote ${files.map((f) => path.join(dir, f)).join(', ')}`);
      reports.push(report);
    }
    if (reports.length > 1) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(path.join(parsed.outDir, 'report.md'), comparisonMarkdown(reports, command));
      await writeFile(path.join(parsed.outDir, 'comparison.json'), JSON.stringify(comparisonSummary(reports), null, 1));
      log(`wrote ${path.join(parsed.outDir, 'report.md')}, ${path.join(parsed.outDir, 'comparison.json')}`);
    }
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return 0;
  } catch (err) {
    console.error(`sim failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

const isEntry = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  if (isWorkerProcess()) serveWorker();
  else process.exitCode = await runSimCli(process.argv.slice(2));
}
