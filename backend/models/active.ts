// The active model, loaded once per version: the CLI, an online update or a rollback may change it.
import { loadArtifacts, type KeepersModel } from '../../shared/model';
import type { Db } from '../db';
import { getArtifacts, getBanditState } from './repository';

/** How long a replaced model stays usable for requests that started with it. */
const RETIRE_AFTER_MS = 60_000;

export class ActiveModels {
  private cached: { version: string; model: KeepersModel } | null = null;
  private loading: { version: string; promise: Promise<KeepersModel> } | null = null;
  private readonly retired = new Map<KeepersModel, NodeJS.Timeout>();

  constructor(private readonly db: Db) {}

  /** The active version's model. Requests hold it across awaits, so a replaced model is disposed only after a grace period. */
  async get(): Promise<{ version: string; model: KeepersModel }> {
    const { activeVersion } = await getBanditState(this.db);
    if (!activeVersion) throw new Error('No active model version: the database was not initialised.');
    if (this.cached?.version === activeVersion) return this.cached;
    if (this.loading?.version !== activeVersion) {
      const promise = (async () => {
        const artifacts = await getArtifacts(this.db, activeVersion);
        if (!artifacts) throw new Error(`Active model version ${activeVersion} is missing from model_versions.`);
        return loadArtifacts(artifacts);
      })();
      this.loading = { version: activeVersion, promise };
      promise.catch(() => {
        if (this.loading?.promise === promise) this.loading = null;
      });
    }
    const model = await this.loading.promise;
    if (this.cached?.version !== activeVersion) {
      if (this.cached) this.retire(this.cached.model);
      this.cached = { version: activeVersion, model };
    }
    if (this.loading?.version === activeVersion) this.loading = null;
    return { version: activeVersion, model };
  }

  private retire(model: KeepersModel): void {
    const timer = setTimeout(() => {
      this.retired.delete(model);
      model.dispose();
    }, RETIRE_AFTER_MS);
    timer.unref();
    this.retired.set(model, timer);
  }

  /** Disposes every model held (the caller has stopped serving requests). */
  dispose(): void {
    this.cached?.model.dispose();
    this.cached = null;
    for (const [model, timer] of this.retired) {
      clearTimeout(timer);
      model.dispose();
    }
    this.retired.clear();
  }
}
