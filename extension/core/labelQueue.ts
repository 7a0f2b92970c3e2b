// The offline label queue: labels wait here (chrome.storage, so they survive restarts and offline
// periods) until the backend has them. Every label carries a clientId and the backend is idempotent on
// it, so a flush that is interrupted after sending but before removing is harmless: the resend is
// counted as a duplicate, never as a second label. Each label therefore takes effect exactly once.
import type { KeeperLabel, Release } from '../../shared/schemas';

export interface QueuedLabel extends KeeperLabel {
  /** What the device knew about the record, upserted before the label so the backend can train on it. */
  record?: Release | null;
}

/** Where the queue lives: chrome.storage in the extension, anything with the same two calls elsewhere. */
export interface QueueStore {
  read(): Promise<QueuedLabel[]>;
  write(labels: QueuedLabel[]): Promise<void>;
}

export interface SubmitResult {
  accepted: number;
  duplicates: number;
  modelVersion: string | null;
}

export type SubmitLabels = (labels: QueuedLabel[]) => Promise<SubmitResult>;

export interface FlushResult extends SubmitResult {
  sent: number;
  remaining: number;
}

/** Labels per request: keeps each labels.submit well under the backend's body limits. */
export const FLUSH_CHUNK = 100;

export class LabelQueue {
  /** Serialises every read-modify-write of the store, so an enqueue during a flush is never lost. */
  private lock: Promise<unknown> = Promise.resolve();
  private inFlight: Promise<FlushResult> | null = null;

  constructor(
    private readonly store: QueueStore,
    private readonly submit: SubmitLabels,
  ) {}

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  async size(): Promise<number> {
    return (await this.store.read()).length;
  }

  async list(): Promise<QueuedLabel[]> {
    return this.store.read();
  }

  /** Adds a label; a label with a clientId already queued replaces nothing and is ignored. */
  enqueue(label: QueuedLabel): Promise<number> {
    return this.exclusive(async () => {
      const labels = await this.store.read();
      if (!labels.some((l) => l.clientId === label.clientId)) labels.push(label);
      await this.store.write(labels);
      return labels.length;
    });
  }

  /** Removes a label that has not been sent yet (undo). False when it was already flushed. */
  remove(clientId: string): Promise<boolean> {
    return this.exclusive(async () => {
      const labels = await this.store.read();
      const kept = labels.filter((l) => l.clientId !== clientId);
      if (kept.length === labels.length) return false;
      await this.store.write(kept);
      return true;
    });
  }

  /**
   * Sends everything queued, oldest first, in chunks; each chunk leaves the queue only after the backend
   * confirmed it. Concurrent calls share one flush. A failure keeps the unsent labels and rejects.
   */
  flush(): Promise<FlushResult> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.flushOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async flushOnce(): Promise<FlushResult> {
    const total: FlushResult = { sent: 0, accepted: 0, duplicates: 0, modelVersion: null, remaining: 0 };
    for (;;) {
      const chunk = (await this.store.read()).slice(0, FLUSH_CHUNK);
      if (chunk.length === 0) break;
      const result = await this.submit(chunk);
      total.sent += chunk.length;
      total.accepted += result.accepted;
      total.duplicates += result.duplicates;
      total.modelVersion = result.modelVersion ?? total.modelVersion;
      const sentIds = new Set(chunk.map((l) => l.clientId));
      await this.exclusive(async () => {
        const labels = await this.store.read();
        await this.store.write(labels.filter((l) => !sentIds.has(l.clientId)));
      });
    }
    total.remaining = await this.size();
    return total;
  }
}
