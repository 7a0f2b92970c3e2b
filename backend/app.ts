// The composition root: opens the database and wires the services every entry point works through
// (the HTTP server's tRPC routers, the CLI, the tests). It holds no SQL and no domain logic.
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Db } from './db';
import { DeviceActivity, PairingThrottle } from './auth';
import { EmbeddingCache } from './bandit';
import { ActiveModels, InProcessTrainer, ModelTraining, SeedSequence, WorkerTrainer, ensureLoadableModel, ensureTf, type Trainer } from './models';

/** `${XDG_DATA_HOME:-~/.local/share}/discogs-keepers/keepers.sqlite`, or KEEPERS_DB. */
export function defaultDbFile(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KEEPERS_DB) return path.resolve(env.KEEPERS_DB);
  const dataHome = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(dataHome, 'discogs-keepers', 'keepers.sqlite');
}

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
  /** The active model, loaded once per version. */
  readonly models: ActiveModels;
  /** The training queue: online updates, warm start, full training. */
  readonly training: ModelTraining;
  /** Seeds of Monte-Carlo passes and draws, from the app's seed. */
  readonly seeds: SeedSequence;
  /** Uniform [0, 1) source for pool and contrast sampling. */
  readonly random: () => number;
  /** Embeddings of stored records under the active version (reasons, neighbours, silhouette). */
  readonly embeddings = new EmbeddingCache();
  /** Wrong pairing codes: devices.pair is refused for a while after too many. */
  readonly pairingThrottle = new PairingThrottle();
  readonly deviceActivity: DeviceActivity;

  private constructor(
    readonly db: Db,
    readonly logger: pino.Logger,
    private readonly trainer: Trainer,
    opts: AppOptions,
  ) {
    this.seeds = new SeedSequence(opts.seed ?? Math.floor(Math.random() * 2 ** 31));
    this.random = opts.random ?? Math.random;
    this.models = new ActiveModels(db);
    this.deviceActivity = new DeviceActivity(db, logger);
    this.training = new ModelTraining({ db, logger, trainer, random: this.random, seeds: this.seeds, embeddings: this.embeddings }, opts.autoTrain ?? true);
  }

  /**
   * Opens and migrates the database, makes sure a model version this build can load is active, and
   * queues the training a restart or an upgrade left due.
   */
  static async create(opts: AppOptions): Promise<App> {
    const logger = opts.logger ?? pino({ level: process.env.LOG_LEVEL ?? 'info' });
    const db = await Db.open(opts.dbFile);
    const trainer = typeof opts.trainer === 'object' ? opts.trainer : opts.trainer === 'in-process' ? new InProcessTrainer() : new WorkerTrainer();
    const app = new App(db, logger, trainer, opts);
    await ensureTf();
    const replacedModel = await ensureLoadableModel(db, logger, app.seeds.base);
    await app.training.resumeAfterStart({ refitOnStoredLabels: replacedModel });
    return app;
  }

  async close(): Promise<void> {
    await this.training.idle();
    await this.trainer.close();
    this.models.dispose();
    await this.db.close();
  }
}
