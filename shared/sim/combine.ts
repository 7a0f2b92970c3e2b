// Merges the report.json files of several runs on the same users, seeds and settings (for example the
// baselines and a challenger run separately) into one set of per-user reports and a comparison table.
//   node --import tsx shared/sim/combine.ts --out DIR [--no-json] [--command TEXT] RUN_DIR...
// Each RUN_DIR holds <user>/report.json (a multi-user run) or report.json (one user).
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { comparisonMarkdown, comparisonSummary, userDirName, writeReport } from './report';
import { summarise } from './summary';
import type { SimReport } from './types';

async function reportsIn(dir: string): Promise<SimReport[]> {
  const single = path.join(dir, 'report.json');
  if (existsSync(single)) return [JSON.parse(await readFile(single, 'utf8')) as SimReport];
  const out: SimReport[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = path.join(dir, entry.name, 'report.json');
    if (existsSync(file)) out.push(JSON.parse(await readFile(file, 'utf8')) as SimReport);
  }
  if (out.length === 0) throw new Error(`no report.json in ${dir} or its sub-folders`);
  return out;
}

export function mergeReports(parts: SimReport[]): SimReport {
  const first = parts[0];
  if (!first) throw new Error('nothing to merge');
  for (const p of parts) {
    const same = p.user === first.user && p.scenario === first.scenario && p.settings.batches === first.settings.batches &&
      p.settings.batchSize === first.settings.batchSize && p.settings.poolSize === first.settings.poolSize &&
      JSON.stringify(p.seeds) === JSON.stringify(first.seeds);
    if (!same) throw new Error(`cannot merge reports of different settings: ${first.user}/${first.scenario} and ${p.user}/${p.scenario}`);
  }
  const policy = [...new Set(parts.flatMap((p) => p.policy))];
  const runs = policy.flatMap((pol) => parts.find((p) => p.policy.includes(pol))!.runs.filter((r) => r.policy === pol));
  return { ...first, policy, runs, summary: summarise(runs, policy) };
}

export async function combine(runDirs: string[], outDir: string, command: string, json: boolean): Promise<SimReport[]> {
  const byUser = new Map<string, SimReport[]>();
  for (const dir of runDirs) for (const r of await reportsIn(dir)) byUser.set(r.user, [...(byUser.get(r.user) ?? []), r]);
  const merged = [...byUser.values()].map(mergeReports);
  for (const r of merged) await writeReport(r, path.join(outDir, userDirName(r.user)), command, { json });
  await writeFile(path.join(outDir, 'report.md'), comparisonMarkdown(merged, command));
  if (json) await writeFile(path.join(outDir, 'comparison.json'), JSON.stringify(comparisonSummary(merged), null, 1));
  return merged;
}

const isEntry = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntry) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string' }, 'no-json': { type: 'boolean' }, command: { type: 'string' } } });
  if (!values.out || positionals.length === 0) {
    console.error('usage: node --import tsx shared/sim/combine.ts --out DIR [--no-json] [--command TEXT] RUN_DIR...');
    process.exitCode = 2;
  } else {
    const merged = await combine(positionals, values.out, values.command ?? `node --import tsx shared/sim/combine.ts ${process.argv.slice(2).join(' ')}`, !values['no-json']);
    console.error(`[sim] merged ${merged.length} user report(s) into ${values.out}`);
  }
}
