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

/** What labels.submit answers. */
export interface SubmitResult {
  accepted: number;
  duplicates: number;
  /** The backend's active model version. */
  modelVersion: string | null;
  /** Batches these labels finished: the backend updates the model from them now. */
  completedBatchIds: number[];
}

export type SubmitLabels = (labels: QueuedLabel[]) => Promise<SubmitResult>;

/** A label the backend refused for good (not a network failure): it left the queue and is reported. */
export interface RefusedLabel {
  label: QueuedLabel;
  /** The backend's reason. */
  reason: string;
  at: string;
}

export interface FlushResult extends SubmitResult {
  sent: number;
  remaining: number;
  /** Labels refused in this flush (they no longer block the ones behind them). */
  refused: RefusedLabel[];
}

/** Labels per request: keeps each labels.submit well under the backend's body limits. */
export const FLUSH_CHUNK = 100;

/**
 * A refusal of the labels themselves (tRPC BAD_REQUEST, NOT_FOUND, PAYLOAD_TOO_LARGE), as opposed to a
 * failure to deliver them (offline, server error, UNAUTHORIZED: pair again), after which they stay queued.
 */
export function isRefusal(err: unknown): boolean {
  const code = (err as { data?: { code?: unknown } } | null)?.data?.code;
  return code === 'BAD_REQUEST' || code === 'NOT_FOUND' || code === 'PAYLOAD_TOO_LARGE' || code === 'UNPROCESSABLE_CONTENT';
}

export interface LabelQueueOptions {
  /** Whether an error from `submit` refuses the labels sent (default: isRefusal). */
  isRefusal?: (err: unknown) => boolean;
  /** Told about every refused label once it has left the queue (the extension keeps and shows them). */
  onRefused?: (refused: RefusedLabel[]) => Promise<void> | void;
}

export class LabelQueue {
  /** Serialises every read-modify-write of the store, so an enqueue during a flush is never lost. */
  private lock: Promise<unknown> = Promise.resolve();
  private inFlight: Promise<FlushResult> | null = null;
  /** clientIds of the labels being sent right now: undo cannot take them back any more. */
  private sending = new Set<string>();
  private readonly refusal: (err: unknown) => boolean;

  constructor(
    private readonly store: QueueStore,
    private readonly submit: SubmitLabels,
    private readonly opts: LabelQueueOptions = {},
  ) {
    this.refusal = opts.isRefusal ?? isRefusal;
  }

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

  /**
   * Removes a label that has not been sent yet (undo). False when it was already flushed or is being
   * sent right now (the backend may already have it: "removed" would be a lie).
   */
  remove(clientId: string): Promise<boolean> {
    return this.exclusive(async () => {
      if (this.sending.has(clientId)) return false;
      const labels = await this.store.read();
      const kept = labels.filter((l) => l.clientId !== clientId);
      if (kept.length === labels.length) return false;
      await this.store.write(kept);
      return true;
    });
  }

  /**
   * Sends everything queued, oldest first, in chunks; each chunk leaves the queue only after the backend
   * confirmed it. Concurrent calls share one flush. A delivery failure keeps the unsent labels and
   * rejects; a refusal is narrowed down to the labels refused (one at a time), which leave the queue and
   * are reported, so one bad label never blocks the rest.
   */
  flush(): Promise<FlushResult> {
    if (this.inFlight) return this.inFlight;
    this.inFlight = this.flushOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async drop(ids: Set<string>): Promise<void> {
    await this.exclusive(async () => {
      const labels = await this.store.read();
      await this.store.write(labels.filter((l) => !ids.has(l.clientId)));
    });
  }

  private add(total: FlushResult, sent: number, result: SubmitResult): void {
    total.sent += sent;
    total.accepted += result.accepted;
    total.duplicates += result.duplicates;
    total.modelVersion = result.modelVersion ?? total.modelVersion;
    total.completedBatchIds.push(...result.completedBatchIds);
  }

  /** One label the backend refused in a chunk: alone, then without its batch (stale after re-pairing), else refused. */
  private async sendAlone(label: QueuedLabel, total: FlushResult): Promise<void> {
    let reason = '';
    for (const attempt of label.batchId !== null && label.batchId !== undefined ? [label, { ...label, batchId: null }] : [label]) {
      try {
        this.add(total, 1, await this.submit([attempt]));
        return;
      } catch (err) {
        if (!this.refusal(err)) throw err;
        reason = err instanceof Error ? err.message : String(err);
      }
    }
    total.refused.push({ label, reason, at: new Date().toISOString() });
  }

  private async flushOnce(): Promise<FlushResult> {
    const total: FlushResult = { sent: 0, accepted: 0, duplicates: 0, modelVersion: null, completedBatchIds: [], remaining: 0, refused: [] };
    try {
      for (;;) {
        const chunk = (await this.exclusive(async () => {
          const next = (await this.store.read()).slice(0, FLUSH_CHUNK);
          for (const l of next) this.sending.add(l.clientId);
          return next;
        }));
        if (chunk.length === 0) break;
        const sentIds = new Set(chunk.map((l) => l.clientId));
        try {
          this.add(total, chunk.length, await this.submit(chunk));
        } catch (err) {
          if (!this.refusal(err)) throw err;
          // Something in the chunk is refused: find it, deliver the rest.
          const before = total.refused.length;
          for (const label of chunk) await this.sendAlone(label, total);
          const refused = total.refused.slice(before);
          if (refused.length > 0) await this.opts.onRefused?.(refused);
        }
        await this.drop(sentIds);
        for (const id of sentIds) this.sending.delete(id);
      }
    } finally {
      this.sending.clear();
    }
    total.remaining = await this.size();
    return total;
  }
}
