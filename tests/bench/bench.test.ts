// The bench's output has the documented shape (bench.json: { machine, results: [{ name, unit, median,
// min, max, runs, peakRssMb? }] } and a bench.md naming every result). Run at the smallest sizes
// (--tiny): this checks what the suite writes, never how fast anything is.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/data';
import { renderMarkdown, REQUIRED_NAMES, type BenchReport } from './report';
import { flopsPerCandidate } from './flops';

const run = promisify(execFile);

describe('npm run bench (--tiny, import and backend sections)', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'keepers-bench-test-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('writes bench.json with the documented shape and bench.md with every result', async () => {
    await run(process.execPath, ['--import', 'tsx', 'tests/bench/run.ts', '--tiny', '--only', 'import,backend', '--records', '2000', '--out', out], { cwd: REPO_ROOT, maxBuffer: 16 * 2 ** 20 });
    const report = JSON.parse(readFileSync(path.join(out, 'bench.json'), 'utf8')) as BenchReport;
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(typeof report.machine.cpuModel).toBe('string');
    const names = report.results.map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'import.dump.rps',
        'import.csv2500',
        'selectBatch.http.2k',
        'selectBatch.http.2k.cold',
        'onlineUpdate.endToEnd',
        'weights.bytes',
        'sync.weights',
        'labels.since.0k',
        'retrain.0k',
      ]),
    );
    for (const r of report.results) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(['name', 'unit', 'median', 'min', 'max', 'runs']));
      expect(['ms', 'records/s', 'bytes', 'MB']).toContain(r.unit);
      expect(r.runs).toBeGreaterThanOrEqual(1);
      expect(r.min).toBeLessThanOrEqual(r.median);
      expect(r.median).toBeLessThanOrEqual(r.max);
      if (r.peakRssMb !== undefined) expect(r.peakRssMb).toBeGreaterThan(0);
    }
    const md = readFileSync(path.join(out, 'bench.md'), 'utf8');
    for (const name of names) expect(md).toContain(`| ${name} |`);
    // The sections not run are listed as not measured, not left out.
    expect(md).toMatch(/\| score1000\.chromium\.webgl \| — \|.*not measured/);
  }, 300_000);
});

describe('bench.md', () => {
  test('lists every name of the issue, with the reason where a name was not measured', () => {
    const report: BenchReport = {
      createdAt: '2026-01-01T00:00:00.000Z',
      command: 'npm run bench -- --quick',
      quick: true,
      data: 'synthetic',
      durationS: 1,
      machine: { cpuModel: 'test cpu', cpus: 2, cpuGhz: 2.5, memoryGb: 8, node: 'v20', platform: 'linux', loadAverage1m: [0, 0], accelerators: [] },
      results: [{ name: 'score1000.node.wasm', unit: 'ms', median: 40, min: 38, max: 45, runs: 5, cpuMedianMs: 39, target: { op: '<=', value: 50 } }],
      unmeasured: [{ name: 'score1000.chromium.webgl', reason: 'no GPU here' }],
      flops: { perCandidate: flopsPerCandidate(), matMulGflops: { wasm: 20 } },
      chromium: null,
    };
    const md = renderMarkdown(report);
    for (const name of REQUIRED_NAMES) expect(md).toContain(`| ${name} |`);
    expect(md).toMatch(/\| score1000\.node\.wasm \| 40\.0 ms \| 38\.0 – 45\.0 \| 5 \| 39 \|.*\| met \|/);
    expect(md).toContain('no GPU here');
    expect(md).toMatch(/FLOPs per candidate/);
  });

  test('FLOPs per candidate: the encoder once plus the head per pass, the naive way the encoder every pass', () => {
    const f = flopsPerCandidate();
    const encoder = f.charCnn + f.attentionPooling + f.mlp;
    expect(f.perCandidate).toBe(encoder + f.samples * f.headPass);
    expect(f.perCandidateNaive).toBe(f.samples * (encoder + f.headPass));
    expect(f.charCnn).toBeGreaterThan(f.mlp);
  });
});
