// The popup's batches: the current batch of 20 from the backend's bandit.selectBatch (with the records
// and reasons of its picks), kept with the labels given so far until every record of it is labelled;
// then a new one.
import type { PopupBatch, PopupBatchItem } from '../core/messaging';
import type { BackendConnection } from './connection';
import type { LabelStore } from './labelStore';
import type { BackgroundStorage, StorageLock } from './storage';

export interface BatchesDeps {
  storage: Pick<BackgroundStorage, 'currentBatch' | 'sync'>;
  lock: StorageLock;
  connection: BackendConnection;
  labels: LabelStore;
}

export class PopupBatches {
  constructor(private readonly deps: BatchesDeps) {}

  /** The stored batch while some of it is unlabelled (unless `fresh`), else a new one from the backend. */
  async getBatch(fresh = false): Promise<PopupBatch> {
    const { storage, lock } = this.deps;
    const { client } = await this.deps.connection.required('Not paired: open the options page and pair this device with your Keepers backend.');
    const stored = await storage.currentBatch.getValue();
    if (stored && !fresh && stored.items.some((i) => !i.label)) return stored;
    // Labels of the last batch must reach the backend before it picks the next one.
    await this.deps.labels.flush();
    // One request: the picks, their records, the reasons for each, the batch number and explore share.
    const selected = await client.bandit.selectBatch.mutate({});
    const byId = new Map(selected.records.map((r) => [r.id, r]));
    const batch: PopupBatch = {
      batchId: selected.batchId,
      batchNumber: selected.batchNumber,
      exploreRate: selected.exploreRate,
      modelVersion: selected.modelVersion,
      items: selected.items.map(
        (i): PopupBatchItem => ({
          releaseId: i.releaseId,
          strategy: i.strategy,
          mean: i.mean,
          uncertainty: i.uncertainty,
          score: i.score,
          release: byId.get(i.releaseId) ?? null,
          reasons: i.reasons,
          label: null,
        }),
      ),
    };
    await lock.run(async () => {
      await storage.currentBatch.setValue(batch);
      // The batch counter comes with sync (models.latest); the explore share only with a batch.
      await storage.sync.setValue({ ...(await storage.sync.getValue()), exploreRate: selected.exploreRate });
    });
    return batch;
  }
}
