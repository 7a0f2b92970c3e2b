// Runs training jobs one after another in a long-lived worker thread (or in-process for the CLI).
import { Worker } from 'node:worker_threads';
import type { TrainingJob, TrainingResult, OnlineJob, OnlineResult, FullJob, FullResult } from './jobs';

export interface Trainer {
  online(job: Omit<OnlineJob, 'kind'>): Promise<OnlineResult>;
  full(job: Omit<FullJob, 'kind'>): Promise<FullResult>;
  close(): Promise<void>;
}

type Pending = { resolve: (r: TrainingResult) => void; reject: (e: Error) => void };

export class WorkerTrainer implements Trainer {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private queue: Promise<unknown> = Promise.resolve();

  private start(): Promise<void> {
    if (this.ready) return this.ready;
    const worker = new Worker(new URL('./worker.mjs', import.meta.url));
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (msg: { ready?: true; id?: number; ok?: boolean; result?: TrainingResult; error?: string }) => {
        if (msg.ready) return resolve();
        const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
        if (!p || msg.id === undefined) return;
        this.pending.delete(msg.id);
        if (msg.ok && msg.result) p.resolve(msg.result);
        else p.reject(new Error(`Training failed in the worker: ${msg.error ?? 'unknown error'}`));
      });
    });
    worker.on('error', (err) => this.failAll(err));
    worker.on('exit', (code) => {
      this.failAll(new Error(`Training worker exited (code ${code})`));
      this.worker = null;
      this.ready = null;
    });
    // The worker must not keep the process alive on its own (CLI exits, test teardown).
    worker.unref();
    return this.ready;
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private run<R extends TrainingResult>(job: TrainingJob): Promise<R> {
    // One job at a time: later jobs start from the version the earlier one produced.
    const result = this.queue.then(async () => {
      await this.start();
      const id = this.nextId++;
      return new Promise<TrainingResult>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.worker!.postMessage({ id, job });
      });
    });
    this.queue = result.catch(() => undefined);
    return result as Promise<R>;
  }

  online(job: Omit<OnlineJob, 'kind'>): Promise<OnlineResult> {
    return this.run({ kind: 'online', ...job });
  }

  full(job: Omit<FullJob, 'kind'>): Promise<FullResult> {
    return this.run({ kind: 'full', ...job });
  }

  async close(): Promise<void> {
    await this.queue;
    await this.worker?.terminate();
    this.worker = null;
    this.ready = null;
  }
}

/** Same jobs on the calling thread: for the CLI, where nothing else is waiting on the event loop. */
export class InProcessTrainer implements Trainer {
  async online(job: Omit<OnlineJob, 'kind'>): Promise<OnlineResult> {
    const { runOnline } = await import('./jobs');
    return runOnline({ kind: 'online', ...job });
  }

  async full(job: Omit<FullJob, 'kind'>): Promise<FullResult> {
    const { runFull } = await import('./jobs');
    return runFull({ kind: 'full', ...job });
  }

  async close(): Promise<void> {}
}
