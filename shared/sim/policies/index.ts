// The simulator's policies by name. The model-based ones are loaded lazily so that the baselines
// run without starting tfjs.
import { DEFAULT_POLICY } from '../../bandit/learner';
import type { PolicyFactory } from '../policy';
import { createRandomPolicy } from './random';
import { createPopularityPolicy } from './popularity';
import { createLinTsPolicy } from './linTs';
import { createOraclePolicy } from './oracle';

export const POLICY_NAMES = ['random', 'popularity', 'greedy', 'seed', 'lin-ts', 'neural-linear', 'neural-ts', 'oracle'] as const;
/** `--policy default`: whatever the product runs by default (shared/bandit/learner.ts). */
export const DEFAULT_ALIAS = 'default';
export { DEFAULT_POLICY };
/** What `--compare` runs: every baseline of the issue and the product's default learner. */
export const COMPARE_POLICIES: readonly string[] = [...new Set(['random', 'popularity', 'greedy', 'seed', 'lin-ts', DEFAULT_POLICY])];
export const MODEL_POLICIES = new Set(['greedy', 'seed', 'neural-linear', 'neural-ts']);

/** A policy name as given on the command line, with `default` resolved to the product's default learner. */
export function resolvePolicyName(name: string): string {
  return name === DEFAULT_ALIAS ? DEFAULT_POLICY : name;
}

/** A policy's name in reports: the product's default learner reads "default (neural-ts)". */
export function policyLabel(name: string, defaultPolicy: string = DEFAULT_POLICY): string {
  return name === defaultPolicy ? `${DEFAULT_ALIAS} (${name})` : name;
}

export async function policyFactory(name: string): Promise<PolicyFactory> {
  switch (resolvePolicyName(name)) {
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
    case 'oracle':
      return createOraclePolicy;
    default:
      throw new Error(`unknown policy "${name}": choose from ${POLICY_NAMES.join(', ')}`);
  }
}
