// The simulator's policies by name. The model-based ones are loaded lazily so that the baselines
// run without starting tfjs.
import type { PolicyFactory } from '../policy';
import { createRandomPolicy } from './random';
import { createPopularityPolicy } from './popularity';
import { createLinTsPolicy } from './linTs';

export const POLICY_NAMES = ['random', 'popularity', 'greedy', 'seed', 'lin-ts', 'neural-linear', 'neural-ts'] as const;
/** What `--compare` runs: every baseline of the issue. */
export const COMPARE_POLICIES = ['random', 'popularity', 'greedy', 'seed', 'lin-ts'] as const;
export const MODEL_POLICIES = new Set(['greedy', 'seed', 'neural-linear', 'neural-ts']);

export async function policyFactory(name: string): Promise<PolicyFactory> {
  switch (name) {
    case 'random':
      return createRandomPolicy;
    case 'popularity':
      return createPopularityPolicy;
    case 'lin-ts':
      return createLinTsPolicy;
    case 'seed':
      return (await import('./model')).createSeedPolicy;
    case 'greedy':
      return (await import('./model')).createGreedyPolicy;
    case 'neural-ts':
      return (await import('./neuralTs')).createNeuralTsPolicy;
    case 'neural-linear':
      return (await import('./model')).createNeuralLinearPolicy;
    default:
      throw new Error(`unknown policy "${name}": choose from ${POLICY_NAMES.join(', ')}`);
  }
}
