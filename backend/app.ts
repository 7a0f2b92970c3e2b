// The backend's services in one place: database, logger, active model, training queue.
// The HTTP server, the tRPC routers, the CLI and the tests all work through an App.
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import type { KeepersModel } from '../shared/model';
import { KeepersModel as Model, saveArtifacts, loadArtifacts } from '../shared/model';
import { Db } from './db';
import { FEATURE_SCHEMA_VERSION } from '../shared/features';
import { PairingThrottle, touchDevice } from './auth';
import { ensureBanditRow, getArtifacts, getBanditState, insertVersion, logDecision, newVersionId, setActiveVersion } from './models';
import { hasImportedLabels, latestLabelled } from './labels';
import { NEIGHBOUR_CANDIDATES } from './bandit';
import { sampleUnlabelled } from './records';
import { configForPolicy } from '../shared/bandit/learner';
import { DEFAULT_POLICY, UNLABELLED_CONTRAST, isPolicy, learnerFor, type PolicyName } from './bandit';
import { ensureTf } from './models/training/jobs';
import { InProcessTrainer, WorkerTrainer, type Trainer } from './models/training/trainer';
import type { Release } from '../shared/schemas';
import { EmbeddingCache } from './bandit';

export const VERSION = '0.1.0';

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
/** How long a replaced model stays usable for requests that started with it. */
const RETIRE_AFTER_MS = 60_000;

/** `${XDG_DATA_HOME:-~/.local/share}/discogs-keepers/keepers.sqlite`, or KEEPERS_DB. */
export function defaultDbFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KEEPERS_DB) return path.resolve(env.KEEPERS_DB);
  const dataHome = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(dataHome, 'discogs-keepers', 'keepers.sqlite');
}

export type WarmStartReport =
  | { trained: true; policy: PolicyName; version: string; labels: number; imported: number; unlabelled: number; ms: number }
  | { trained: false; policy: PolicyName; reason: 'seed-policy' | 'no-labels' };

export interface AppOptions {
  dbFile: string;
  logger?: pino.Logger;
  /** 'worker' (server default) keeps training off the event loop; 'in-process' for the CLI. */
  trainer?: 'worker' | 'in-process' | Trainer;
  /** Seed of the first (untrained) model and of the Monte-Carlo passes; random when absent. */
  seed?: number;
  /** Uniform [0, 1) source for pool sampling (seeded in tests). */
  random?: () => number;
  /** Start online updates when a batch is fully labelled (default true). */
  autoTrain?: boolean;
}

export class App {
  private cached: { version: string; model: KeepersModel } | null = null;
  private loading: { version: string; promise: Promise<KeepersModel> } | null = null;
  private readonly retired = new Map<KeepersModel, NodeJS.Timeout>();
  private trainingChain: Promise<unknown> = Promise.resolve();
  private readonly lastSeen = new Map<number, number>();
  private mcCounter = 0;
  readonly seed: number;
  readonly random: () => number;
  readonly autoTrain: boolean;
  /** The last training failure, as one line for metrics.summary (never a stack trace). */
  lastTrainingError: string | null = null;
  /** Wrong pairing codes: devices.pair is refused for a while after too many. */
  readonly pairingThrottle = new PairingThrottle();
  /** Embeddings of stored records under the active version (reasons, neighbours, silhouette). */
  readonly embeddings = new EmbeddingCache();

  private constructor(
    readonly db: Db,
    readonly logger: pino.Logger,
    readonly trainer: Trainer,
    opts: AppOptions,
  ) {
    this.seed = opts.seed ?? Math.floor(Math.random() * 2 ** 31);
    this.random = opts.random ?? Math.random;
    this.autoTrain = opts.autoTrain ?? true;
  }

  /** Opens and migrates the database and makes sure a first (untrained, seeded) model version exists. */
  static async create(opts: AppOptions): Promise<App> {
    const logger = opts.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
    const db = await Db.open(opts.dbFile);
    const trainer = typeof opts.trainer === 'object' ? opts.trainer : opts.trainer === 'in-process' ? new InProcessTrainer() : new WorkerTrainer();
    const app = new App(db, logger, trainer, opts);
    await ensureTf();
    const replacedSchema = await app.ensureInitialModel();
    if (replacedSchema) {
      // The labels survive a feature-schema change; the weights do not: refit the new model on them
      // (queued like any training job, so `idle()` waits for it and a failure leaves the fresh model).
      void app.enqueueTraining(async () => {
        const r = await app.warmStart();
        app.logger.info({ trained: r.trained, reason: r.trained ? undefined : r.reason }, 'refitted the new model on the stored labels after a feature-schema change');
      });
    }
    // Batches labelled before a crash or shutdown interrupted their online update: train them now.
    const pending = await db.all<{ id: number }>('SELECT id FROM batches WHERE completed_at IS NOT NULL AND trained_version IS NULL ORDER BY id');
    if (pending.length > 0) {
      app.logger.info({ batchIds: pending.map((p) => p.id) }, 'resuming online updates interrupted by a restart');
      void app.scheduleOnlineUpdates(pending.map((p) => p.id));
    }
    return app;
  }

  /**
   * Makes sure an active model version this build can load exists. A version built for another feature
   * schema (an upgrade changed how records are encoded) cannot be loaded: a fresh model replaces it,
   * and the caller refits it on the stored labels. Returns true when that happened.
   */
  private async ensureInitialModel(): Promise<boolean> {
    await this.db.write((q) => ensureBanditRow(q));
    const state = await getBanditState(this.db);
    let replaced: string | null = null;
    if (state.activeVersion) {
      const row = await this.db.get<{ schema: number }>('SELECT feature_schema_version AS schema FROM model_versions WHERE version = ?', [state.activeVersion]);
      if (!row || row.schema === FEATURE_SCHEMA_VERSION) return false;
      replaced = state.activeVersion;
      this.logger.warn({ version: replaced, schema: row.schema, now: FEATURE_SCHEMA_VERSION }, 'the active model was built for another feature schema: starting a new model from the stored labels');
    }
    // The default learner's configuration (the `seed` policy trains with DESIGN §4's values whatever the model's config says).
    const model = Model.create(configForPolicy(DEFAULT_POLICY), this.seed);
    try {
      const artifacts = await saveArtifacts(model, { modelVersion: newVersionId(), parentVersion: null, metrics: { labels: 0 } });
      await this.db.transaction(async (q) => {
        // Another process (CLI and server on one file) may have won the race.
        if ((await getBanditState(q)).activeVersion !== state.activeVersion) return;
        await insertVersion(q, artifacts, { kind: 'initial' });
        await setActiveVersion(q, artifacts.modelVersion);
        await logDecision(q, 'initial-model', { version: artifacts.modelVersion, seed: this.seed, replaces: replaced });
      });
      this.logger.info({ version: artifacts.modelVersion, seed: this.seed }, replaced ? 'created a new (untrained) model version for this feature schema' : 'created the first (untrained) model version');
    } finally {
      model.dispose();
    }
    return replaced !== null;
  }

  /**
   * The active model, loaded once per version (the CLI, an online update or a rollback may change it).
   * Requests hold the model across awaits, so a replaced model is disposed only after a grace period.
   */
  async activeModel(): Promise<{ version: string; model: KeepersModel }> {
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

  /** A fresh seed for each set of Monte-Carlo passes: reproducible from the app seed, never repeated. */
  nextMcSeed(): number {
    return (this.seed + 7919 * ++this.mcCounter) >>> 0;
  }

  noteDeviceSeen(deviceId: number): void {
    // At most one write a minute per device: last_seen is informational.
    const now = Date.now();
    if (now - (this.lastSeen.get(deviceId) ?? 0) < 60_000) return;
    this.lastSeen.set(deviceId, now);
    touchDevice(this.db, deviceId).catch((err: unknown) => this.logger.warn({ err }, 'could not record device activity'));
  }

  /** Queues the online update of each completed batch; they run one after another in the trainer. */
  scheduleOnlineUpdates(batchIds: number[]): Promise<void> {
    if (!this.autoTrain) return Promise.resolve();
    const done = batchIds.map((id) => this.enqueueTraining(() => this.onlineUpdate(id)));
    return Promise.all(done).then(() => undefined);
  }

  private enqueueTraining<T>(fn: () => Promise<T>): Promise<T | undefined> {
    const run = this.trainingChain.then(fn).catch((err: unknown) => {
      this.lastTrainingError = trainingErrorLine(err);
      this.logger.error({ err }, 'training job failed; the previous model version stays active');
      return undefined;
    });
    this.trainingChain = run;
    return run;
  }

  /** Resolves when no training job is queued or running (tests, shutdown). */
  async idle(): Promise<void> {
    let chain: Promise<unknown>;
    do {
      chain = this.trainingChain;
      await chain;
    } while (chain !== this.trainingChain);
  }

  /**
   * Random records without a label, as the contrast of imported keepers (positive–unlabelled learning):
   * only the default learner uses them, and only when some labels came from an import.
   */
  async unlabelledContrast(policy: PolicyName): Promise<Release[] | undefined> {
    if (learnerFor(policy) !== 'learn' || !(await hasImportedLabels(this.db))) return undefined;
    return sampleUnlabelled(this.db, UNLABELLED_CONTRAST, this.random);
  }

  /**
   * Online update for one labelled batch, by the policy the batch ran with (backend/bandit/policy.ts): `seed`
   * = onlineUpdate on the batch's labels (triplets against history); the default learner = learn()
   * (encoder steps, then its Bayesian head refitted on every label). New version, counter + 1.
   */
  async onlineUpdate(batchId: number): Promise<string | null> {
    const batchRow = await this.db.get<{ trained_version: string | null; policy: string }>('SELECT trained_version, policy FROM batches WHERE id = ?', [batchId]);
    if (!batchRow || batchRow.trained_version) return null;
    // A batch stored by a newer program with a policy this one does not know trains as the default.
    const policy = isPolicy(batchRow.policy) ? batchRow.policy : DEFAULT_POLICY;
    const picks = await this.db.all<{ release_json: string; label: number }>(
      `SELECT r.release_json, t.label FROM training_instances t JOIN records r ON r.id = t.release_id WHERE t.batch_id = ? AND t.label IS NOT NULL ORDER BY t.position`,
      [batchId],
    );
    const batch = picks.map((p) => ({ release: JSON.parse(p.release_json) as Release, keeper: p.label === 1, source: 'user' as const }));
    const history = (await latestLabelled(this.db, { excludeReleaseIds: batch.map((b) => b.release.id) })).map(({ release, keeper, source }) => ({ release, keeper, source }));
    const unlabelled = await this.unlabelledContrast(policy);
    const state = await getBanditState(this.db);
    const artifacts = await getArtifacts(this.db, state.activeVersion!);
    if (!artifacts) throw new Error(`Active model version ${state.activeVersion} is missing.`);
    // The worker also embeds the labelled neighbour candidates with the new weights, so the next batch's
    // reasons do not embed them on this thread.
    const neighbours = (await latestLabelled(this.db, { limit: NEIGHBOUR_CANDIDATES })).map((l) => l.release);
    const seed = this.nextMcSeed();
    const result = await this.trainer.online({ artifacts, policy, batch, history, unlabelled, batchNumber: state.batchCount, newVersion: newVersionId(), seed, embed: neighbours });
    const outcome = await this.db.transaction(async (q): Promise<'activated' | 'stored' | 'duplicate'> => {
      // Another process on the same file (the server and `keepers train` both resume interrupted
      // updates) may have trained this batch meanwhile: its result stands, this one is dropped.
      const now = await q.get<{ trained_version: string | null }>('SELECT trained_version FROM batches WHERE id = ?', [batchId]);
      if (!now || now.trained_version) return 'duplicate';
      // A rollback (or another version) made while this update ran wins: the new version is stored and
      // the batch counts as trained, but it becomes active only if its parent is still the active one.
      const current = await getBanditState(q);
      const activate = current.activeVersion === artifacts.modelVersion;
      await insertVersion(q, result.artifacts, { kind: 'online', batchNumber: state.batchCount });
      if (activate) await setActiveVersion(q, result.artifacts.modelVersion, { incrementBatch: true });
      else await q.run('UPDATE bandit_models SET batch_count = batch_count + 1, updated_at = ? WHERE id = 1', [new Date().toISOString()]);
      await q.run('UPDATE batches SET trained_version = ? WHERE id = ?', [result.artifacts.modelVersion, batchId]);
      await logDecision(q, 'online-update', {
        activated: activate,
        active: activate ? result.artifacts.modelVersion : current.activeVersion,
        batchId,
        batchNumber: state.batchCount,
        policy,
        learner: learnerFor(policy),
        version: result.artifacts.modelVersion,
        parent: artifacts.modelVersion,
        seed,
        losses: result.losses,
        unlabelled: unlabelled?.length ?? 0,
        ms: result.ms,
      });
      return activate ? 'activated' : 'stored';
    });
    if (outcome === 'duplicate') {
      this.logger.info({ batchId, version: result.artifacts.modelVersion }, 'online update dropped: another process trained this batch meanwhile');
      return null;
    }
    if (result.embeddings) this.embeddings.prime(result.artifacts.modelVersion, neighbours, result.embeddings);
    this.logger.info(
      { batchId, batchNumber: state.batchCount, policy, version: result.artifacts.modelVersion, parent: artifacts.modelVersion, activated: outcome === 'activated', finalLoss: result.losses.at(-1), ms: result.ms },
      outcome === 'activated' ? 'online update: new model version' : 'online update stored but not activated: the active version changed meanwhile (a rollback wins)',
    );
    return result.artifacts.modelVersion;
  }

  /**
   * Warm start after `keepers import --as-keepers`: the default learner fitted at once on every label
   * (the imported keepers against a random sample of unlabelled records, positive–unlabelled learning),
   * so the first batch already exploits the collection. A new active version (kind 'warm-start'); the
   * batch counter is unchanged. Under `seed` nothing is trained: DESIGN §4 learns only from labelled batches.
   */
  async warmStart(): Promise<WarmStartReport> {
    const state = await getBanditState(this.db);
    if (learnerFor(state.policy) !== 'learn') return { trained: false, policy: state.policy, reason: 'seed-policy' };
    const labelled = (await latestLabelled(this.db)).map(({ release, keeper, source }) => ({ release, keeper, source }));
    if (labelled.length === 0) return { trained: false, policy: state.policy, reason: 'no-labels' };
    const unlabelled = await sampleUnlabelled(this.db, UNLABELLED_CONTRAST, this.random);
    // Another writer (the server's online update) may change the active version meanwhile: fit again on
    // top of the newer one rather than replace it.
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await getBanditState(this.db);
      const artifacts = await getArtifacts(this.db, current.activeVersion!);
      if (!artifacts) throw new Error(`Active model version ${current.activeVersion} is missing.`);
      const result = await this.trainer.online({
        artifacts,
        policy: current.policy,
        batch: [],
        history: labelled,
        unlabelled,
        batchNumber: current.batchCount,
        newVersion: newVersionId(),
        seed: this.nextMcSeed(),
      });
      const imported = labelled.filter((l) => l.source === 'import').length;
      const promoted = await this.db.transaction(async (q) => {
        if ((await getBanditState(q)).activeVersion !== current.activeVersion) return false;
        await insertVersion(q, result.artifacts, { kind: 'warm-start' });
        await setActiveVersion(q, result.artifacts.modelVersion);
        await logDecision(q, 'warm-start', {
          version: result.artifacts.modelVersion,
          parent: artifacts.modelVersion,
          policy: current.policy,
          labels: labelled.length,
          imported,
          unlabelled: unlabelled.length,
          ms: result.ms,
        });
        return true;
      });
      if (!promoted) continue;
      this.logger.info({ version: result.artifacts.modelVersion, labels: labelled.length, imported, unlabelled: unlabelled.length, ms: result.ms }, 'warm start: new model version');
      return { trained: true, policy: current.policy, version: result.artifacts.modelVersion, labels: labelled.length, imported, unlabelled: unlabelled.length, ms: result.ms };
    }
    throw new Error('Warm start gave up: the active model version kept changing while it trained (run the import again).');
  }

  async close(): Promise<void> {
    await this.idle();
    await this.trainer.close();
    this.cached?.model.dispose();
    this.cached = null;
    for (const [model, timer] of this.retired) {
      clearTimeout(timer);
      model.dispose();
    }
    this.retired.clear();
    await this.db.close();
  }
}
