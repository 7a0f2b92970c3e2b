// The learner policy the backend runs (bandit.policy / bandit.setPolicy), for the options page; the
// local model scores with the head of the policy last seen.
import { TRPCClientError } from '@trpc/client';
import type { PolicyName } from '../../shared/bandit/learner';
import { describeBackendError } from '../core/backendClient';
import type { PolicySetting } from '../core/messaging';
import type { BackendConnection } from './connection';
import type { LocalModel } from './localModel';
import type { BackgroundStorage, StorageLock } from './storage';

/** A backend older than the procedure asked for (tRPC answers NOT_FOUND "No procedure found"). */
export function isMissingProcedure(err: unknown): boolean {
  return err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === 'NOT_FOUND' && /no procedure/i.test(err.message);
}

/** A sentence for the options page when reading or choosing the policy failed. */
function policyError(err: unknown, doing: string): string {
  if (isMissingProcedure(err)) return `Could not ${doing}: this backend does not offer a choice of learner yet (update it).`;
  if (err instanceof TRPCClientError) {
    const issues = (err.data as { issues?: { message: string }[] | null } | undefined)?.issues;
    if (issues && issues.length > 0) return `Could not ${doing}: ${issues.map((i) => i.message).join('; ')}.`;
  }
  return `Could not ${doing}: ${describeBackendError(err)}`;
}

export interface PolicyDeps {
  storage: Pick<BackgroundStorage, 'sync'>;
  lock: StorageLock;
  connection: BackendConnection;
  model: LocalModel;
}

export class PolicyChoice {
  constructor(private readonly deps: PolicyDeps) {}

  async getPolicy(): Promise<PolicySetting> {
    const { client } = await this.deps.connection.required('Not paired: pair this browser with your Keepers backend to see and choose its learner.');
    let setting: PolicySetting;
    try {
      const res = await client.bandit.policy.query();
      setting = { policy: res.policy, defaultPolicy: res.defaultPolicy, available: res.available.map((a) => ({ name: a.name, description: a.description })) };
    } catch (err) {
      throw new Error(policyError(err, 'read the learner policy'));
    }
    await this.notePolicy(setting.policy);
    return setting;
  }

  async setPolicy(policy: string): Promise<{ policy: string }> {
    if (typeof policy !== 'string' || policy.trim() === '') throw new Error('Choose a learner policy first.');
    const { client } = await this.deps.connection.required('Not paired: pair this browser with your Keepers backend to choose its learner.');
    let chosen: string;
    try {
      // The backend checks the name against its own list and answers with the reason when it refuses it.
      ({ policy: chosen } = await client.bandit.setPolicy.mutate({ policy: policy as PolicyName }));
    } catch (err) {
      throw new Error(policyError(err, `switch the learner to "${policy}"`));
    }
    await this.notePolicy(chosen);
    return { policy: chosen };
  }

  private async notePolicy(policy: string): Promise<void> {
    const { storage, lock, model } = this.deps;
    model.scorer.setPolicy(policy);
    await lock.run(async () => storage.sync.setValue({ ...(await storage.sync.getValue()), policy }));
  }
}
