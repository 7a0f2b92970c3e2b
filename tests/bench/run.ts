// The benchmark suite (not a test): `npm run bench [-- --quick] [--out DIR] [--only ml,backend,import,chromium]`.
// Writes DIR/bench.json ({ machine, results: [{ name, unit, median, min, max, runs, peakRssMb? }] })
// and DIR/bench.md: medians and spreads over repeated runs, variants side by side, the issue's
// targets, what could not be measured here and why, and the distance to the arithmetic limit.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../helpers/data';
import { benchBackend, benchImport } from './backend';
import { benchChromium, type ChromiumInfo } from './chromium';
import { flopsPerCandidate, nodeCeilings } from './flops';
import { machine, type BenchResult, type Unmeasured } from './lib';
import { benchMl } from './ml';
import { renderMarkdown } from './report';

const SECTIONS = ['ml', 'backend', 'import', 'chromium'] as const;
type Section = (typeof SECTIONS)[number];

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    // The smallest sizes and one run each, for tests/bench/bench.test.ts (the output's shape, not numbers).
    tiny: { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(REPO_ROOT, 'bench-results') },
    only: { type: 'string' },
    records: { type: 'string', default: '100000' },
  },
});
const only = (args.only?.split(',') ?? [...SECTIONS]) as Section[];
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`--only: unknown section ${s} (sections: ${SECTIONS.join(', ')})`);
const quick = args.quick || args.tiny;
const tiny = args.tiny;
const started = performance.now();
const mach = machine();
const results: BenchResult[] = [];
const unmeasured: Unmeasured[] = [];
let data = 'synthetic';
let chromium: ChromiumInfo | null = null;

// The Node ceilings first, on an idle tfjs: what a large matMul reaches on each backend.
const ceilings = await nodeCeilings(quick);
// Imports first: their memory is read while the process is still small.
if (only.includes('import')) results.push(...(await benchImport({ quick, tiny })));
if (only.includes('ml')) {
  const ml = await benchMl({ quick });
  results.push(...ml.results);
  data = ml.data;
}
if (only.includes('backend')) results.push(...(await benchBackend({ quick, tiny, records: Number(args.records) })));
if (only.includes('chromium')) {
  const got = await benchChromium({ quick });
  results.push(...got.results);
  unmeasured.push(...got.unmeasured);
  chromium = got.info;
  mach.accelerators.push(...got.info.accelerators);
}
mach.loadAverage1m.push(os.loadavg()[0]!);

const report = {
  createdAt: new Date().toISOString(),
  command: `npm run bench --${tiny ? ' --tiny' : quick ? ' --quick' : ''}${args.only ? ` --only ${args.only}` : ''}${args.records !== '100000' ? ` --records ${args.records}` : ''}`,
  quick,
  data,
  durationS: Math.round((performance.now() - started) / 1000),
  machine: mach,
  results,
  unmeasured,
  flops: { perCandidate: flopsPerCandidate(), matMulGflops: { ...ceilings, ...(chromium?.matMulGflops ?? {}) } },
  chromium,
};
mkdirSync(args.out, { recursive: true });
writeFileSync(path.join(args.out, 'bench.json'), JSON.stringify(report, null, 2) + '\n');
writeFileSync(path.join(args.out, 'bench.md'), renderMarkdown(report));
console.log(`\nwrote ${path.join(args.out, 'bench.json')} and bench.md in ${report.durationS} s`);
// Workers, sockets and tfjs keep handles open; the measurements are written.
process.exit(0);
