// The scorer as the services use it: started on first use with the stored tfjs backend preference and
// the cached weights, scoring with the head of the backend's learner policy as last seen.
import type { Scorer } from '../core/scorer';
import type { BackendPreference, ScorerStatus } from '../core/messaging';
import type { BackgroundStorage } from './storage';

export class LocalModel {
  constructor(
    readonly scorer: Scorer,
    private readonly storage: Pick<BackgroundStorage, 'backendPreference' | 'modelCache' | 'sync'>,
  ) {}

  async ready(): Promise<Scorer> {
    await this.scorer.start(await this.storage.backendPreference.getValue(), () => this.storage.modelCache.read());
    // The page scores with the head of the backend's policy (a restarted worker reads it from storage).
    this.scorer.setPolicy((await this.storage.sync.getValue()).policy ?? null);
    return this.scorer;
  }

  async setBackendPreference(preference: BackendPreference): Promise<ScorerStatus> {
    if (!['auto', 'webgl', 'wasm', 'cpu'].includes(preference)) throw new Error(`Unknown tfjs backend "${String(preference)}" (auto, webgl, wasm or cpu)`);
    await this.storage.backendPreference.setValue(preference);
    const scorer = await this.ready();
    return scorer.setPreference(preference);
  }

  /** Back to the untrained model and no policy (the device was forgotten). */
  async forget(): Promise<void> {
    await this.storage.modelCache.clear();
    this.scorer.setPolicy(null);
    if (this.scorer.ready) this.scorer.useUntrained();
  }
}
