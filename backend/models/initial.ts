// The first model of a database, and its replacement when an upgrade changed how records are encoded.
import type { Logger } from 'pino';
import { FEATURE_SCHEMA_VERSION } from '../../shared/features';
import { KeepersModel, saveArtifacts } from '../../shared/model';
import { configForPolicy } from '../../shared/bandit/learner';
import type { Db } from '../db';
import { DEFAULT_POLICY } from '../bandit';
import { ensureBanditRow, getBanditState, getVersion, insertVersion, logDecision, newVersionId, setActiveVersion } from './repository';

/**
 * Makes sure an active model version this build can load exists. A version built for another feature
 * schema (an upgrade changed how records are encoded) cannot be loaded: a fresh model replaces it, and
 * the caller refits it on the stored labels. Returns true when that happened.
 */
export async function ensureLoadableModel(db: Db, logger: Logger, seed: number): Promise<boolean> {
  await db.write((q) => ensureBanditRow(q));
  const state = await getBanditState(db);
  let replaced: string | null = null;
  if (state.activeVersion) {
    const row = await getVersion(db, state.activeVersion);
    if (!row || row.featureSchemaVersion === FEATURE_SCHEMA_VERSION) return false;
    replaced = state.activeVersion;
    logger.warn({ version: replaced, schema: row.featureSchemaVersion, now: FEATURE_SCHEMA_VERSION }, 'the active model was built for another feature schema: starting a new model from the stored labels');
  }
  // The default learner's configuration (the `seed` policy trains with its own values whatever the model's config says: bandit/policy.ts trainingConfig).
  const model = KeepersModel.create(configForPolicy(DEFAULT_POLICY), seed);
  try {
    const artifacts = await saveArtifacts(model, { modelVersion: newVersionId(), parentVersion: null, metrics: { labels: 0 } });
    await db.transaction(async (q) => {
      // Another process (CLI and server on one file) may have won the race.
      if ((await getBanditState(q)).activeVersion !== state.activeVersion) return;
      await insertVersion(q, artifacts, { kind: 'initial' });
      await setActiveVersion(q, artifacts.modelVersion);
      await logDecision(q, 'initial-model', { version: artifacts.modelVersion, seed, replaces: replaced });
    });
    logger.info({ version: artifacts.modelVersion, seed }, replaced ? 'created a new (untrained) model version for this feature schema' : 'created the first (untrained) model version');
  } finally {
    model.dispose();
  }
  return replaced !== null;
}
