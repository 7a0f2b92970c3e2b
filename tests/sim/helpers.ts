// Shared bits of the simulator tests: the synthetic fixtures (planted taste) and report helpers.
import path from 'node:path';
import { REPO_ROOT } from '../helpers/data';
import type { SimOptions } from '../../shared/sim/simulate';
import type { SimReport } from '../../shared/sim/types';

export const FIXTURES = path.join(REPO_ROOT, 'tests/fixtures/sim');
export const fixture = (name: string) => path.join(FIXTURES, name);

export function plantedOptions(over: Partial<SimOptions> = {}): SimOptions {
  return {
    keepersFile: fixture('collections.jsonl'),
    user: 'planted',
    kinds: ['collection'],
    poolFiles: [fixture('pool.jsonl')],
    policies: ['random', 'lin-ts'],
    seeds: [1, 2],
    batches: 8,
    batchSize: 10,
    poolSize: 200,
    scenario: 'stationary',
    shiftUser: null,
    workers: 1,
    embeddingMap: false,
    ...over,
  };
}

/** The report without wall-clock timings, which legitimately differ between identical runs. */
export function withoutTimings(report: SimReport): unknown {
  return JSON.parse(
    JSON.stringify(report, (key, value) => (key === 'trainMs' || key === 'selectMs' || key === 'trainMsPerBatch' || key === 'selectMsPerBatch' ? undefined : value)),
  );
}

export function keepersFound(report: SimReport, policy: string): number[] {
  return report.runs.filter((r) => r.policy === policy).map((r) => r.batches.reduce((s, b) => s + b.keepers, 0));
}
