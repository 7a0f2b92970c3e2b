// What the popup and the options page show and set besides labels: the scorer, sync and schedule state,
// the feature toggles and the tfjs backend preference.
import { togglesWithDefaults } from '../features/registry';
import type { BackendPreference, ExtensionStatus, ScorerStatus } from '../core/messaging';
import type { LocalModel } from './localModel';
import type { BackgroundStorage } from './storage';
import type { Sync } from './sync';

export interface StatusDeps {
  storage: Pick<BackgroundStorage, 'sync' | 'labels' | 'toggles'>;
  model: LocalModel;
  sync: Sync;
}

export class StatusAndSettings {
  constructor(private readonly deps: StatusDeps) {}

  async getStatus(): Promise<ExtensionStatus> {
    const { storage } = this.deps;
    const scorer = await this.deps.model.ready();
    const [sync, record, labels] = await Promise.all([this.deps.sync.syncState(), storage.sync.getValue(), storage.labels.getValue()]);
    return {
      scorer: scorer.status(),
      sync,
      batchNumber: record.batchNumber,
      exploreRate: record.exploreRate ?? null,
      labelled: Object.keys(labels).length,
    };
  }

  setBackendPreference(preference: BackendPreference): Promise<ScorerStatus> {
    return this.deps.model.setBackendPreference(preference);
  }

  async getFeatureToggles(): Promise<Record<string, boolean>> {
    return togglesWithDefaults(await this.deps.storage.toggles.getValue());
  }

  async setFeatureToggles(toggles: Record<string, boolean>): Promise<Record<string, boolean>> {
    for (const [id, on] of Object.entries(toggles)) {
      if (typeof on !== 'boolean') throw new Error(`Feature toggle "${id}" must be true or false`);
    }
    const merged = togglesWithDefaults({ ...(await this.deps.storage.toggles.getValue()), ...toggles });
    await this.deps.storage.toggles.setValue(merged);
    return merged;
  }
}
