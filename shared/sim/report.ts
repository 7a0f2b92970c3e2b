// Writing a simulation's outputs: report.json, report.md and the SVG plots.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { POOLED_ECE_FROM, POOLED_ECE_TO } from './engine';
import { DEFAULT_POLICY, policyLabel } from './policies';
import { allKeepers, bandOverSeeds, first20Keepers, summedKeepersOverUsers, summedRatioOverUsers, UNCERTAINTY_RATIO_BATCH } from './summary';
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

/** The product's default learner in the report (older reports did not record it). */
function defaultOf(report: SimReport): string {
  return report.settings.defaultPolicy ?? DEFAULT_POLICY;
}

/** Keepers a policy can find: those in the pool less the imported ones (older reports: all in the pool). */
export function keepersToFind(report: SimReport): number {
  return report.settings.keepersToFind ?? report.settings.keepersInPool;
}

export function renderPlots(report: SimReport): Record<string, string> {
  const policies = report.policy;
  const label = (p: string) => policyLabel(p, defaultOf(report));
  const who = `${report.user}, ${report.scenario}, ${report.seeds.length} seed(s)`;
  const plots: Record<string, string> = {};
  const keeperRate: Series[] = [];
  for (const p of policies) {
    const runs = runsOf(report, p);
    const exploit = bandOverSeeds(runs, (b) => (b.nExploit > 0 ? b.exploitKeepers / b.nExploit : NaN));
    const explore = bandOverSeeds(runs, (b) => (b.nExplore > 0 ? b.exploreKeepers / b.nExplore : NaN));
    if (exploit.length > 0) keeperRate.push({ name: `${label(p)} exploit`, color: colorOf(policies, p), points: exploit.map(({ x, y }) => ({ x, y })) });
    if (explore.length > 0) keeperRate.push({ name: `${label(p)} explore`, color: colorOf(policies, p), dashed: true, points: explore.map(({ x, y }) => ({ x, y })) });
  }
  plots[PLOT_FILES.keeperRate] = lineChart(keeperRate, { title: `Keeper rate per batch, exploit (solid) and explore (dashed) picks (${who})`, xLabel: 'batch', yLabel: 'keeper share of the picks', yMin: 0, yMax: 1, width: 760 });
  const band = (value: (b: RunRecord['batches'][number]) => number, cumulative: boolean) =>
    policies.map((p) => ({ name: label(p), color: colorOf(policies, p), points: bandOverSeeds(runsOf(report, p), value, cumulative) }));
  plots[PLOT_FILES.cumulativeKeepers] = lineChart(band((b) => b.keepers, true), { title: `Cumulative keepers found, mean and 95% band (${who})`, xLabel: 'batch', yLabel: 'keepers found', yMin: 0 });
  // A batch's regret is already cumulative: the oracle's keepers so far − the policy's.
  const regret = band((b) => b.regret, false);
  // Regret can dip below 0 (the oracle's own picks change its later candidate pools): show it if it does.
  const regretMin = Math.min(0, ...regret.flatMap((r) => r.points.map((pt) => pt.lo)));
  plots[PLOT_FILES.cumulativeRegret] = lineChart(regret, { title: `Cumulative regret against the label-seeing oracle on the same seeds (${who})`, xLabel: 'batch', yLabel: 'keepers behind the oracle', yMin: regretMin });
  plots[PLOT_FILES.explorationRate] = lineChart(
    policies.map((p) => ({ name: label(p), color: colorOf(policies, p), points: bandOverSeeds(runsOf(report, p), (b) => b.exploreRate).map(({ x, y }) => ({ x, y })) })),
    { title: `Exploration rate (share of explore picks) per batch (${who})`, xLabel: 'batch', yLabel: 'exploration rate', yMin: 0, yMax: 1 },
  );
  const reliability = policies
    .map((p) => ({ name: label(p), color: colorOf(policies, p), bins: mergeBins(runsOf(report, p).map((r) => r.reliability).filter((b): b is ReliabilityBin[] => b !== null)) }))
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
  ['cumulativeRegret', 'regret vs oracle', 1],
  ['exploitKeeperRate', 'exploit keeper rate', 3],
  ['exploreKeeperRate', 'explore keeper rate', 3],
  ['exploitKeeperRateLast20', 'exploit rate, last 20', 3],
  ['ece', 'ECE', 3],
  ['auc', 'AUC', 3],
  ['silhouette', 'silhouette', 3],
  ['trainMsPerBatch', 'train ms/batch', 0],
  ['selectMsPerBatch', 'select ms/batch', 0],
];

/** The figures the targets are read off. */
const TARGET_COLUMNS: [keyof PolicySummary, string, number][] = [
  ['cumulativeKeepers', 'keepers, all batches', 1],
  ['keepersFirst20', 'keepers, batches 0–19', 1],
  ['keepersFirst5', 'keepers, batches 0–4', 1],
  ['ratioVsLinTs', '× lin-ts', 2],
  ['ratioVsLinTsFirst20', '× lin-ts, batches 0–19', 2],
  ['ratioVsRandom', '× random', 2],
  ['ecePooled', `ECE, batches ${POOLED_ECE_FROM}–${POOLED_ECE_TO} pooled`, 3],
  ['uncertaintyRatioAt20', `uncertainty labelled ÷ unseen, batch ${UNCERTAINTY_RATIO_BATCH}`, 2],
];

function table(columns: [keyof PolicySummary, string, number][], summary: Record<string, PolicySummary>, policies: string[], defaultPolicy: string): string {
  const head = `| policy | ${columns.map((c) => c[1]).join(' | ')} |`;
  const sep = `|---|${columns.map(() => '---').join('|')}|`;
  const rows = policies
    .filter((p) => summary[p])
    .map((p) => `| ${policyLabel(p, defaultPolicy)} | ${columns.map(([k, , d]) => fmtInterval((summary[p]![k] as Interval | null | undefined) ?? null, d)).join(' | ')} |`);
  return [head, sep, ...rows].join('\n');
}

export function summaryTable(summary: Record<string, PolicySummary>, policies: string[], defaultPolicy: string = DEFAULT_POLICY): string {
  return table(SUMMARY_COLUMNS, summary, policies, defaultPolicy);
}

export function targetsTable(summary: Record<string, PolicySummary>, policies: string[], defaultPolicy: string = DEFAULT_POLICY): string {
  return table(TARGET_COLUMNS, summary, policies, defaultPolicy);
}

/** Plain sentences comparing `subject` with every other policy on keepers found (non-overlapping 95% intervals). */
export function verdictLines(summary: Record<string, PolicySummary>, policies: string[], subject: string, label: string = subject): string[] {
  const own = summary[subject]?.cumulativeKeepers;
  if (!own) return [];
  return policies
    .filter((p) => p !== subject && p !== 'oracle' && summary[p])
    .map((p) => {
      const other = summary[p]!.cumulativeKeepers;
      const verdict = own.lo > other.hi ? 'wins against' : own.hi < other.lo ? 'loses to' : 'is not distinguishable from';
      return `- \`${label}\` ${verdict} \`${p}\` on keepers found: ${fmtInterval(own)} vs ${fmtInterval(other)}.`;
    });
}

/** Plain sentences comparing `seed` with every other policy on keepers found (non-overlapping 95% intervals). */
export function seedVerdict(summary: Record<string, PolicySummary>, policies: string[]): string[] {
  return verdictLines(summary, policies, 'seed');
}

export function renderMarkdown(report: SimReport, plotFiles: string[], command: string | null): string {
  const s = report.settings;
  const def = defaultOf(report);
  const imported = s.importedKeepers ?? 0;
  const verdicts = [...verdictLines(report.summary, report.policy, def, policyLabel(def, def)), ...(def === 'seed' ? [] : seedVerdict(report.summary, report.policy))];
  const lines = [
    `# Simulated collector: ${report.user} (${report.scenario})`,
    '',
    `Pool: ${s.poolRecords} records (${s.poolFiles.join(', ')}); keepers: ${s.keepersInPool} in the pool` +
      (imported > 0 ? `, ${imported} of them imported before batch 0 (CSV export fields only), ${keepersToFind(report)} to find` : '') +
      (s.keepersMissingFromPool > 0 ? ` (${s.keepersMissingFromPool} of the list are not in the pool and cannot be found)` : '') +
      `; ${s.batches} batches of ${s.batchSize} from ${s.poolSize} candidates; seeds ${report.seeds.join(', ')}` +
      (s.shiftUser ? `; taste switches to ${s.shiftUser} at batch ${Math.floor(s.batches / 2)}` : '') +
      (s.backend ? `; tfjs backend ${s.backend}` : '') +
      (Object.keys(s.modelConfig ?? {}).length > 0 ? `; model overrides ${JSON.stringify(s.modelConfig)}` : '') +
      `; the product's default learner is ${def}.`,
    '',
    'Means over seeds with 95% t-intervals in brackets. Keeper rates pool all picks of a run; ECE (10 bins) and AUC are',
    "means over batches, computed on every batch's candidates before the policy sees their labels; silhouette is the",
    "last batch's, on the labelled records' embeddings (model policies only). Regret: the keepers a label-seeing oracle",
    'found on the same seed (same candidate sampling, keepers picked first) minus the policy\'s, after the last batch.',
    '',
    summaryTable(report.summary, report.policy, def),
    '',
    `Targets. Ratios are per seed (same candidate pools), then mean and interval over seeds. ECE pools every candidate prediction of batches ${POOLED_ECE_FROM}–${POOLED_ECE_TO}. ` +
      `Uncertainty: the mean over the records the collector labelled in batches 0–${UNCERTAINTY_RATIO_BATCH - 1} ÷ the mean over batch ${UNCERTAINTY_RATIO_BATCH}'s unseen candidates (below 1: it knows what it has seen).`,
    '',
    targetsTable(report.summary, report.policy, def),
    '',
    ...verdicts,
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

/** Cross-user figures (comparison.json): per user the summaries, and keepers and ratios summed over users. */
export interface ComparisonSummary {
  users: { user: string; keepersInPool: number; importedKeepers: number; keepersToFind: number }[];
  policies: string[];
  defaultPolicy: string;
  scenario: string;
  seeds: number[];
  perUser: Record<string, Record<string, PolicySummary>>;
  /** per policy: keepers summed over users (per seed, then mean and interval) and ratios of those sums, paired by seed */
  summedOverUsers: Record<string, { keepers: Interval | null; keepersFirst20: Interval | null; keepersFirst5: Interval | null; ratioVsLinTs: Interval | null; ratioVsLinTsFirst20: Interval | null; ratioVsRandom: Interval | null }>;
}

export function comparisonSummary(reports: SimReport[]): ComparisonSummary {
  const policies = [...new Set(reports.flatMap((r) => r.policy))];
  const runsPerUser = reports.map((r) => r.runs);
  const first = reports[0];
  const firstBatches = (r: RunRecord) => first20Keepers(r);
  return {
    users: reports.map((r) => ({ user: r.user, keepersInPool: r.settings.keepersInPool, importedKeepers: r.settings.importedKeepers ?? 0, keepersToFind: keepersToFind(r) })),
    policies,
    defaultPolicy: first ? defaultOf(first) : DEFAULT_POLICY,
    scenario: first?.scenario ?? 'stationary',
    seeds: first?.seeds ?? [],
    perUser: Object.fromEntries(reports.map((r) => [r.user, r.summary])),
    summedOverUsers: Object.fromEntries(
      policies.map((p) => [
        p,
        {
          keepers: summedKeepersOverUsers(runsPerUser, p, allKeepers),
          keepersFirst20: summedKeepersOverUsers(runsPerUser, p, firstBatches),
          keepersFirst5: summedKeepersOverUsers(runsPerUser, p, (r) => r.batches.filter((b) => b.batch < 5).reduce((s, b) => s + b.keepers, 0)),
          ratioVsLinTs: summedRatioOverUsers(runsPerUser, p, 'lin-ts', allKeepers),
          ratioVsLinTsFirst20: summedRatioOverUsers(runsPerUser, p, 'lin-ts', firstBatches),
          ratioVsRandom: summedRatioOverUsers(runsPerUser, p, 'random', allKeepers),
        },
      ]),
    ),
  };
}

const WARM_START_TEXT: Record<string, string> = {
  'warm-start': "half of each collector's keepers imported before batch 0 with a CSV export's fields; only the rest count",
  'warm-start-enriched': "half of each collector's keepers imported before batch 0 with the fields a data-dump import fills in; only the rest count",
  'warm-start-cold': "the control of warm-start: the same half of each collector's keepers taken out of the pool, nothing imported",
};

export function comparisonMarkdown(reports: SimReport[], command: string): string {
  const cmp = comparisonSummary(reports);
  const policies = cmp.policies;
  const def = cmp.defaultPolicy;
  const first = reports[0];
  const warm = reports.some((r) => (r.settings.importedKeepers ?? 0) > 0);
  const head = `| user (keepers ${warm ? 'to find' : 'in pool'}) | ${policies.map((p) => policyLabel(p, def)).join(' | ')} |`;
  const sep = `|---|${policies.map(() => '---').join('|')}|`;
  const table = (title: string, cell: (r: SimReport, p: string) => string, summed?: (p: string) => string) => [
    title,
    '',
    head,
    sep,
    ...reports.map((r) => `| [${r.user}](${userDirName(r.user)}/report.md) (${keepersToFind(r)}) | ${policies.map((p) => cell(r, p)).join(' | ')} |`),
    ...(summed && reports.length > 1 ? [`| all users, summed | ${policies.map(summed).join(' | ')} |`] : []),
    '',
  ];
  const stat = (key: keyof PolicySummary, digits = 1) => (r: SimReport, p: string) => fmtInterval((r.summary[p]?.[key] as Interval | null | undefined) ?? null, digits);
  const sum = (key: keyof ComparisonSummary['summedOverUsers'][string], digits = 1) => (p: string) => fmtInterval(cmp.summedOverUsers[p]?.[key] ?? null, digits);
  const hasLinTs = policies.includes('lin-ts');
  const hasRandom = policies.includes('random');
  return [
    '# Simulated collectors: keepers found',
    '',
    first
      ? `${first.settings.batches} batches of ${first.settings.batchSize} picks from ${first.settings.poolSize} random unlabelled candidates, seeds ${first.seeds.join(', ')}, scenario ${first.scenario}` +
        (warm ? ` (${WARM_START_TEXT[first.scenario] ?? ''})` : '') +
        `. The product's default learner is ${def}. Means over seeds with 95% t-intervals; ratios are paired by seed.`
      : '',
    '',
    ...table('Cumulative keepers found:', stat('cumulativeKeepers'), sum('keepers')),
    ...table('Keepers found in batches 0–19:', stat('keepersFirst20'), sum('keepersFirst20')),
    ...table('Keepers found in batches 0–4:', stat('keepersFirst5'), sum('keepersFirst5')),
    ...(hasLinTs ? table('Keepers ÷ lin-ts\'s, all batches (summed row: the sums over users divided):', stat('ratioVsLinTs', 2), sum('ratioVsLinTs', 2)) : []),
    ...(hasLinTs ? table('Keepers ÷ lin-ts\'s, batches 0–19:', stat('ratioVsLinTsFirst20', 2), sum('ratioVsLinTsFirst20', 2)) : []),
    ...(hasRandom ? table('Keepers ÷ random\'s, all batches:', stat('ratioVsRandom', 2), sum('ratioVsRandom', 2)) : []),
    ...table('Regret against the label-seeing oracle after the last batch:', stat('cumulativeRegret')),
    ...table(`ECE over the candidate predictions of batches ${POOLED_ECE_FROM}–${POOLED_ECE_TO}, pooled:`, stat('ecePooled', 3)),
    ...table(`Mean uncertainty of labelled records ÷ that of unseen candidates at batch ${UNCERTAINTY_RATIO_BATCH}:`, stat('uncertaintyRatioAt20', 2)),
    ...table('Exploit keeper rate over the last 20 batches:', stat('exploitKeeperRateLast20', 3)),
    ...table('AUC on unseen candidates (mean over batches):', stat('auc', 3)),
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
