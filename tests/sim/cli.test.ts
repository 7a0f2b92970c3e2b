import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parseCliArgs, runSimCli } from '../../shared/sim/cli';
import type { SimReport } from '../../shared/sim/types';
import { fixture } from './helpers';

const dirs: string[] = [];
async function tempDir() {
  const d = await mkdtemp(path.join(os.tmpdir(), 'keepers-sim-'));
  dirs.push(d);
  return d;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const base = ['--keepers', fixture('collections.jsonl'), '--pool', fixture('pool.jsonl'), '--batches', '4', '--batch-size', '10', '--pool-size', '100'];

describe('sim CLI', () => {
  it('parses the documented options', () => {
    const o = parseCliArgs([...base, '--user', 'planted,jazzfan', '--compare', '--policy', 'neural-linear', '--seeds', '1,2,3', '--scenario', 'shift', '--shift-user', 'jazzfan', '--model-config', '{"learningRate":0.001}']);
    expect(o.users).toEqual(['planted', 'jazzfan']);
    expect(o.sim.policies).toEqual(['random', 'popularity', 'greedy', 'seed', 'lin-ts', 'neural-ts', 'neural-linear']);
    expect(o.sim.seeds).toEqual([1, 2, 3]);
    expect(o.sim.batches).toBe(4);
    expect(o.sim.scenario).toBe('shift');
    expect(o.sim.shiftUser).toBe('jazzfan');
    expect(o.sim.modelConfig).toEqual({ learningRate: 0.001 });
    expect(o.outDir).toBe('sim-out');
    const w = parseCliArgs([...base, '--policy', 'oracle,lin-ts', '--scenario', 'warm-start']);
    expect(w.sim.scenario).toBe('warm-start');
    expect(w.sim.policies).toEqual(['oracle', 'lin-ts']);
  });

  it('rejects bad arguments with a readable message and exit code 2', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    try {
      expect(await runSimCli([...base, '--policy', 'clairvoyant'])).toBe(2);
      expect(await runSimCli([...base, '--policy', 'random', '--batches', 'ten'])).toBe(2);
      expect(await runSimCli(['--pool', fixture('pool.jsonl'), '--policy', 'random'])).toBe(2);
      expect(await runSimCli([...base, '--policy', 'random', '--scenario', 'winter'])).toBe(2);
    } finally {
      spy.mockRestore();
    }
    expect(errors[0]).toMatch(/unknown --policy "clairvoyant"/);
    expect(errors[1]).toMatch(/--batches must be a positive integer, got "ten"/);
    expect(errors[2]).toMatch(/--keepers FILE is required/);
    expect(errors[3]).toMatch(/unknown --scenario "winter"/);
  });

  it('reports a malformed keepers file with its line and exit code 1', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((m: unknown) => void errors.push(String(m)));
    try {
      const out = await tempDir();
      const args = ['--keepers', fixture('broken-json.jsonl'), '--pool', fixture('pool.jsonl'), '--policy', 'random', '--out', out];
      expect(await runSimCli(args)).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(errors.join('\n')).toMatch(/sim failed: .*broken-json\.jsonl line 3: not valid JSON/);
  });

  it('runs several users in worker processes and writes reports, plots and a comparison', async () => {
    const out = await tempDir();
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    let code: number;
    try {
      code = await runSimCli([...base, '--user', 'planted', '--user', 'jazzfan', '--policy', 'random,popularity,lin-ts', '--seeds', '1,2', '--workers', '2', '--out', out]);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(0);
    expect((await readdir(path.join(out, 'planted'))).sort()).toEqual(
      ['cumulative-keepers.svg', 'cumulative-regret.svg', 'exploration-rate.svg', 'keeper-rate.svg', 'reliability.svg', 'report.json', 'report.md'].sort(),
    );
    const report = JSON.parse(await readFile(path.join(out, 'jazzfan', 'report.json'), 'utf8')) as SimReport;
    expect(report.user).toBe('jazzfan');
    expect(report.runs.map((r) => `${r.policy}/${r.seed}`)).toEqual(['random/1', 'random/2', 'popularity/1', 'popularity/2', 'lin-ts/1', 'lin-ts/2']);
    const md = await readFile(path.join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| \[planted\]\(planted\/report\.md\) \(61\) \|/);
    const cmp = JSON.parse(await readFile(path.join(out, 'comparison.json'), 'utf8')) as { users: { user: string }[]; summedOverUsers: Record<string, { ratioVsLinTs: { n: number } }> };
    expect(cmp.users.map((u) => u.user)).toEqual(['planted', 'jazzfan']);
    expect(cmp.summedOverUsers['lin-ts']!.ratioVsLinTs.n).toBe(2);
    expect(md).toContain('npm run sim -- --keepers');
  });
});
