// What the bandit's requests use of the app's services. backend/app.ts's App provides them; the bandit
// does not depend on the composition root.
import type { Logger } from 'pino';
import type { Db } from '../db';
import type { ActiveModels, SeedSequence } from '../models';
import type { EmbeddingCache } from './scoring';

export interface BanditContext {
  db: Db;
  logger: Logger;
  /** The active model, loaded once per version. */
  models: ActiveModels;
  /** Embeddings of stored records per model version (reasons, neighbours, silhouette). */
  embeddings: EmbeddingCache;
  /** Seeds of Monte-Carlo passes and draws (a batch's seed is logged with it). */
  seeds: SeedSequence;
  /** Uniform [0, 1) source for pool sampling. */
  random: () => number;
}
