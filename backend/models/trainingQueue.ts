// The training queue: online updates, warm starts and full trainings run one after another (each
// starts from the version the previous one produced). A failed job leaves the active version as it was;
// its first line is kept for metrics.summary.
import { untrainedCompletedBatchIds, type PolicyName } from '../bandit';
import type { Release } from '../../shared/schemas';
import { fullTrain, type FullTrainReport } from './fullTrain';
import { onlineUpdate, unlabelledContrast, warmStart, type TrainingDeps, type WarmStartReport } from './updates';

/**
 * What metrics.summary says about a failed training job: the first line of the message, without file
 * paths or stack frames (a worker's error may carry its stack in the message), at most 200 characters.
 * The full error goes to the server's log only.
 */
export function trainingErrorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('\n').find((line) => line.trim() !== '' && !/^\s*at\s/.test(line)) ?? 'training failed';
  return first.replace(/(?:file:\/\/)?(?:\/[^\s:()]+)+(?::\d+)*/g, '<path>').trim().slice(0, 200);
}

export class ModelTraining {
  private chain: Promise<unknown> = Promise.resolve();
  /** The last training failure, as one line for metrics.summary (never a stack trace). */
  lastError: string | null = null;

  constructor(
    private readonly deps: TrainingDeps,
    /** Start online updates when a batch is fully labelled (off in the CLI and some tests). */
    readonly autoTrain: boolean,
  ) {}

  /**
   * Queues what a restart or an upgrade left due: the online updates of batches labelled before a crash
   * or shutdown interrupted them, and, when a feature-schema change replaced the model
   * (`refitOnStoredLabels`), a refit of the fresh model on the stored labels (the labels survive such a
   * change, the weights do not).
   */
  async resumeAfterStart(opts: { refitOnStoredLabels: boolean }): Promise<void> {
    const { logger } = this.deps;
    if (opts.refitOnStoredLabels) {
      // Queued like any training job, so `idle()` waits for it and a failure leaves the fresh model.
      void this.enqueue(async () => {
        const r = await this.warmStart();
        logger.info({ trained: r.trained, reason: r.trained ? undefined : r.reason }, 'refitted the new model on the stored labels after a feature-schema change');
      });
    }
    const pending = await untrainedCompletedBatchIds(this.deps.db);
    if (pending.length > 0) {
      logger.info({ batchIds: pending }, 'resuming online updates interrupted by a restart');
      void this.scheduleOnlineUpdates(pending);
    }
  }

  /** Queues the online update of each completed batch (nothing when autoTrain is off). */
  scheduleOnlineUpdates(batchIds: number[]): Promise<void> {
    if (!this.autoTrain) return Promise.resolve();
    const done = batchIds.map((id) => this.enqueue(() => this.onlineUpdate(id)));
    return Promise.all(done).then(() => undefined);
  }

  /** Runs `fn` after every job queued before it; a failure is logged and kept in lastError, and resolves to undefined. */
  enqueue<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const run = this.chain.then(fn).catch((err: unknown) => {
      this.lastError = trainingErrorLine(err);
      this.deps.logger.error({ err }, 'training job failed; the previous model version stays active');
      return undefined;
    });
    this.chain = run;
    return run;
  }

  /** Resolves when no training job is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    let chain: Promise<unknown>;
    do {
      chain = this.chain;
      await chain;
    } while (chain !== this.chain);
  }

  /** The online update of one labelled batch, now (backend/models/updates.ts). */
  onlineUpdate(batchId: number): Promise<string | null> {
    return onlineUpdate(this.deps, batchId);
  }

  /** The default learner fitted on every label at once (after an import), now. */
  warmStart(): Promise<WarmStartReport> {
    return warmStart(this.deps);
  }

  /** `keepers train`: a fresh model on every label, promoted only if not worse on held-out labels. */
  fullTrain(opts: { epochs?: number; holdoutFraction?: number } = {}): Promise<FullTrainReport> {
    return fullTrain(this.deps, opts);
  }

  unlabelledContrast(policy: PolicyName): Promise<Release[] | undefined> {
    return unlabelledContrast(this.deps, policy);
  }
}
