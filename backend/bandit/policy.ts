// The bandit policy as a per-user setting: which one runs (the collector's choice, else the product's
// default), what each one is, and how each one scores and trains. The policies themselves live in
// shared/bandit (learner.ts: neural-ts and the registry; select.ts + online.ts: seed).
import { DEFAULT_POLICY, POLICIES, configForPolicy, isPolicyName, type PolicyName } from '../../shared/bandit/learner';
import type { KeepersConfig } from '../../shared/model';
import type { Db } from '../db';
import { getBanditState, logDecision, setPolicy } from '../models';

export { DEFAULT_POLICY, POLICIES, isPolicyName, type PolicyName };

/** One line per policy, for `keepers policy show`, bandit.policy and the options page. */
const POLICY_DESCRIPTIONS: Record<PolicyName, string> = {
  'neural-ts':
    'The default learner: the contrastive encoder with a Bayesian head on its taste space and on artist, label, genre, style and era; Thompson sampling picks the batch. Learns from every label after each batch (and from an imported collection at once).',
  seed: "The original specification, exactly: Monte-Carlo dropout scores, a decaying explore share (12 explore / 8 exploit at batch 0, 4 / 16 from batch 22), and 10 epochs at learning rate 1e-4 on the newest batch.",
  random: 'Uniform random picks from the pool (all explore): the baseline to compare against.',
};

function availablePolicies(): { name: PolicyName; description: string }[] {
  return POLICIES.map((name) => ({ name, description: POLICY_DESCRIPTIONS[name] }));
}

export interface PolicySetting {
  policy: PolicyName;
  defaultPolicy: PolicyName;
  /** When the collector chose it; null while the default applies. */
  chosenAt: string | null;
  available: { name: PolicyName; description: string }[];
}

export async function policySetting(db: Db): Promise<PolicySetting> {
  const state = await getBanditState(db);
  return { policy: state.policy, defaultPolicy: DEFAULT_POLICY, chosenAt: state.policyChosenAt, available: availablePolicies() };
}

/** Stores the collector's choice (logged in decision_log); later batches run it, and their online updates train with it. */
export async function choosePolicy(db: Db, policy: PolicyName, by: { deviceId?: number | null; via: 'cli' | 'api' }): Promise<{ policy: PolicyName; previous: PolicyName }> {
  return db.transaction(async (q) => {
    const previous = (await getBanditState(q)).policy;
    await setPolicy(q, policy);
    await logDecision(q, 'policy', { policy, previous, via: by.via, deviceId: by.deviceId ?? null });
    return { policy, previous };
  });
}

/** Which head scores records for a policy: `seed` is specified on the Monte-Carlo dropout head. */
export function headFor(policy: PolicyName): 'auto' | 'mc-dropout' {
  return policy === 'seed' ? 'mc-dropout' : 'auto';
}

/** Training hyperparameters a policy's updates use, whatever config the stored model was created with. */
export function trainingConfig(policy: PolicyName): Partial<KeepersConfig> {
  const c = configForPolicy(policy);
  return { epochs: c.epochs, learningRate: c.learningRate, lossWeights: c.lossWeights, tripletMargin: c.tripletMargin, maxTriplets: c.maxTriplets, replay: c.replay };
}

/**
 * How a policy's online update learns: `seed` by shared/bandit's onlineUpdate on the newest batch,
 * as specified; the others by the default learner's learn() (encoder steps, then the Bayesian head
 * refitted on every label). `random` picks without the model, but the model still scores the badges,
 * so its labels train the default learner.
 */
export function learnerFor(policy: PolicyName): 'online-update' | 'learn' {
  return policy === 'seed' ? 'online-update' : 'learn';
}

/** Records sampled without a label as the positive–unlabelled contrast of imported keepers. */
export const UNLABELLED_CONTRAST = 1000;
