// Writing a simulation's outputs: report.json, report.md and the SVG plots.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bandOverSeeds } from './summary';
import { lineChart, reliabilityDiagram, scatterPlot, PALETTE, type Series } from './svg';
import type { Interval, PolicySummary, ReliabilityBin, RunRecord, SimReport } from './types';

export const PLOT_FILES = {
  keeperRate: 'keeper-rate.svg',
  cumulativeKeepers: 'cumulative-keepers.svg',
  cumulativeRegret: 'cumulative-regret.svg',
  explorationRate: 'exploration-rate.svg',
  reliability: 'reliability.svg',
  embeddingMap: 'embedding-map.svg',
} as const;

export function fmtInterval(i: Interval | null, digits = 1): string {
  if (i === null) return '–';
  const f = (v: number) => {
    if (!Number.isFinite(v)) return '?';
    const text = v.toFixed(digits);
    return /^-0\.?0*$/.test(text) ? text.slice(1) : text; // no "-0.0"
  };
  return i.n > 1 ? `${f(i.mean)} [${f(i.lo)}, ${f(i.hi)}]` : f(i.mean);
}

function colorOf(policies: string[], policy: string): string {
  return PALETTE[Math.max(0, policies.indexOf(policy)) % PALETTE.length]!;
}

function runsOf(report: SimReport, policy: string): RunRecord[] {
  return report.runs.filter((r) => r.policy === policy);
}

/** Bins merged over runs (count-weighted), for one reliability curve per policy. */
export function mergeBins(binSets: ReliabilityBin[][]): ReliabilityBin[] {
  const first = binSets[0];
  if (!first) return [];
  return first.map((b0, i) => {
    let count = 0;
    let p = 0;
    let pos = 0;
    for (const bins of binSets) {
      const b = bins[i];
      if (!b || b.count === 0) continue;
      count += b.count;
      p += b.meanProb * b.count;
      pos += b.fracPositive * b.count;
    }
    return { lo: b0.lo, hi: b0.hi, count, meanProb: count ? p / count : 0, fracPositive: count ? pos / count : 0 };
  });
}

export function renderPlots(report: SimReport): Record<string, string> {
  const policies = report.policy;
  const who = `${report.user}, ${report.scenario}, ${report.seeds.length} seed(s)`;
  const plots: Record<string, string> = {};
  const keeperRate: Series[] = [];
  for (const p of policies) {
    const runs = runsOf(report, p);
    const exploit = bandOverSeeds(runs, (b) => (b.nExploit > 0 ? b.exploitKeepers / b.nExploit : NaN));
    const explore = bandOverSeeds(runs, (b) => (b.nExplore > 0 ? b.exploreKeepers / b.nExplore : NaN));
    if (exploit.length > 0) keeperRate.push({ name: `${p} exploit`, color: colorOf(policies, p), points: exploit.map(({ x, y }) => ({ x, y })) });
    if (explore.length > 0) keeperRate.push({ name: `${p} explore`, color: colorOf(policies, p), dashed: true, points: explore.map(({ x, y }) => ({ x, y })) });
  }
  plots[PLOT_FILES.keeperRate] = lineChart(keeperRate, { title: `Keeper rate per batch, exploit (solid) and explore (dashed) picks (${who})`, xLabel: 'batch', yLabel: 'keeper share of the picks', yMin: 0, yMax: 1, width: 760 });
  const cumulative = (value: (b: RunRecord['batches'][number]) => number) =>
    policies.map((p) => ({ name: p, color: colorOf(policies, p), points: bandOverSeeds(runsOf(report, p), value, true) }));
  plots[PLOT_FILES.cumulativeKeepers] = lineChart(cumulative((b) => b.keepers), { title: `Cumulative keepers found, mean and 95% band (${who})`, xLabel: 'batch', yLabel: 'keepers found', yMin: 0 });
  plots[PLOT_FILES.cumulativeRegret] = lineChart(cumulative((b) => b.regret), { title: `Cumulative regret against the best ${report.settings.batchSize} of each pool (${who})`, xLabel: 'batch', yLabel: 'keepers missed', yMin: 0 });
  plots[PLOT_FILES.explorationRate] = lineChart(
    policies.map((p) => ({ name: p, color: colorOf(policies, p), points: bandOverSeeds(runsOf(report, p), (b) => b.exploreRate).map(({ x, y }) => ({ x, y })) })),
    { title: `Exploration rate (share of explore picks) per batch (${who})`, xLabel: 'batch', yLabel: 'exploration rate', yMin: 0, yMax: 1 },
  );
  const reliability = policies
    .map((p) => ({ name: p, color: colorOf(policies, p), bins: mergeBins(runsOf(report, p).map((r) => r.reliability).filter((b): b is ReliabilityBin[] => b !== null)) }))
    .filter((s) => s.bins.length > 0);
  plots[PLOT_FILES.reliability] = reliabilityDiagram(reliability, { title: `Reliability on unlabelled candidates, all batches (${who})` });
  const mapRun = report.runs.find((r) => r.embeddingMap && r.embeddingMap.length > 0);
  if (mapRun?.embeddingMap) {
    plots[PLOT_FILES.embeddingMap] = scatterPlot(
      [
        { name: 'not keeper', color: '#9e9e9e', points: mapRun.embeddingMap.filter((p) => !p.keeper) },
        { name: 'keeper', color: '#d62728', points: mapRun.embeddingMap.filter((p) => p.keeper) },
      ],
      { title: `UMAP of labelled records' embeddings after ${mapRun.batches.length} batches (${mapRun.policy}, seed ${mapRun.seed}, ${report.user})`, xLabel: 'UMAP 1', yLabel: 'UMAP 2', width: 640, height: 520 },
    );
  }
  return plots;
}

const SUMMARY_COLUMNS: [keyof PolicySummary, string, number][] = [
  ['cumulativeKeepers', 'keepers found', 1],
  ['cumulativeRegret', 'regret', 1],
  ['exploitKeeperRate', 'exploit keeper rate', 3],
  ['exploreKeeperRate', 'explore keeper rate', 3],
  ['exploitKeeperRateLast20', 'exploit rate, last 20', 3],
  ['ece', 'ECE', 3],
  ['auc', 'AUC', 3],
  ['silhouette', 'silhouette', 3],
  ['trainMsPerBatch', 'train ms/batch', 0],
  ['selectMsPerBatch', 'select ms/batch', 0],
];

export function summaryTable(summary: Record<string, PolicySummary>, policies: string[]): string {
  const head = `| policy | ${SUMMARY_COLUMNS.map((c) => c[1]).join(' | ')} |`;
  const sep = `|---|${SUMMARY_COLUMNS.map(() => '---').join('|')}|`;
  const rows = policies
    .filter((p) => summary[p])
    .map((p) => `| ${p} | ${SUMMARY_COLUMNS.map(([k, , d]) => fmtInterval(summary[p]![k], d)).join(' | ')} |`);
  return [head, sep, ...rows].join('\n');
}

/** Plain sentences comparing `seed` with every other policy on keepers found (non-overlapping 95% intervals). */
export function seedVerdict(summary: Record<string, PolicySummary>, policies: string[]): string[] {
  const seed = summary.seed?.cumulativeKeepers;
  if (!seed) return [];
  return policies
    .filter((p) => p !== 'seed' && summary[p])
    .map((p) => {
      const other = summary[p]!.cumulativeKeepers;
      const verdict = seed.lo > other.hi ? 'wins against' : seed.hi < other.lo ? 'loses to' : 'is not distinguishable from';
      return `- \`seed\` ${verdict} \`${p}\` on keepers found: ${fmtInterval(seed)} vs ${fmtInterval(other)}.`;
    });
}

export function renderMarkdown(report: SimReport, plotFiles: string[], command: string | null): string {
  const s = report.settings;
  const lines = [
    `# Simulated collector: ${report.user} (${report.scenario})`,
    '',
    `Pool: ${s.poolRecords} records (${s.poolFiles.join(', ')}); keepers: ${s.keepersInPool} in the pool` +
      (s.keepersMissingFromPool > 0 ? ` (${s.keepersMissingFromPool} of the list are not in the pool and cannot be found)` : '') +
      `; ${s.batches} batches of ${s.batchSize} from ${s.poolSize} candidates; seeds ${report.seeds.join(', ')}` +
      (s.shiftUser ? `; taste switches to ${s.shiftUser} at batch ${Math.floor(s.batches / 2)}` : '') +
      (s.backend ? `; tfjs backend ${s.backend}` : '') +
      (Object.keys(s.modelConfig ?? {}).length > 0 ? `; model overrides ${JSON.stringify(s.modelConfig)}` : '') +
      '.',
    '',
    'Means over seeds with 95% t-intervals in brackets. Keeper rates pool all picks of a run; ECE (10 bins) and AUC are',
    "means over batches, computed on every batch's candidates before the policy sees their labels; silhouette is the",
    "last batch's, on the labelled records' embeddings (model policies only).",
    '',
    summaryTable(report.summary, report.policy),
    '',
    ...seedVerdict(report.summary, report.policy),
    '',
    ...plotFiles.map((f) => `![${f}](${f})`),
    '',
  ];
  if (command) lines.push('Reproduce:', '', '```', command, '```', '');
  return lines.join('\n');
}

/** A user name as a portable folder name ("jayjonesdev(?)" → "jayjonesdev_"). */
export function userDirName(user: string): string {
  return user.replace(/[^\w.-]+/g, '_');
}

export function comparisonMarkdown(reports: SimReport[], command: string): string {
  const policies = [...new Set(reports.flatMap((r) => r.policy))];
  const first = reports[0];
  const table = (title: string, cell: (r: SimReport, p: string) => string) => [
    title,
    '',
    `| user (keepers in pool) | ${policies.join(' | ')} |`,
    `|---|${policies.map(() => '---').join('|')}|`,
    ...reports.map((r) => `| [${r.user}](${userDirName(r.user)}/report.md) (${r.settings.keepersInPool}) | ${policies.map((p) => cell(r, p)).join(' | ')} |`),
    '',
  ];
  return [
    '# Simulated collectors: keepers found',
    '',
    first
      ? `${first.settings.batches} batches of ${first.settings.batchSize} picks from ${first.settings.poolSize} random unlabelled candidates, seeds ${first.seeds.join(', ')}, scenario ${first.scenario}. Means over seeds with 95% t-intervals.`
      : '',
    '',
    ...table('Cumulative keepers found:', (r, p) => fmtInterval(r.summary[p]?.cumulativeKeepers ?? null)),
    ...table('Exploit keeper rate over the last 20 batches:', (r, p) => fmtInterval(r.summary[p]?.exploitKeeperRateLast20 ?? null, 3)),
    ...table('AUC on unseen candidates (mean over batches):', (r, p) => fmtInterval(r.summary[p]?.auc ?? null, 3)),
    ...table('Model time per batch, train + select (ms):', (r, p) => {
      const s = r.summary[p];
      return s ? `${Math.round(s.trainMsPerBatch.mean)} + ${Math.round(s.selectMsPerBatch.mean)}` : '–';
    }),
    'Reproduce:',
    '',
    '```',
    command,
    '```',
    '',
  ].join('\n');
}

export async function writeReport(report: SimReport, dir: string, command: string | null, opts: { json?: boolean } = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const plots = renderPlots(report);
  const written = ['report.md'];
  if (opts.json !== false) {
    await writeFile(path.join(dir, 'report.json'), JSON.stringify(report, null, 1));
    written.unshift('report.json');
  }
  for (const [name, svg] of Object.entries(plots)) {
    await writeFile(path.join(dir, name), svg);
    written.push(name);
  }
  await writeFile(path.join(dir, 'report.md'), renderMarkdown(report, Object.keys(plots), command));
  return written;
}
