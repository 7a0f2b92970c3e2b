// New model versions from labels: the online update of a labelled batch, and the warm start after an
// import of the collection as keepers. Both run in the trainer (a worker thread on the server) and
// store the new version in one transaction that checks nothing changed meanwhile.
import type { Logger } from 'pino';
import type { Release } from '../../shared/schemas';
import type { Db } from '../db';
import {
  DEFAULT_POLICY,
  NEIGHBOUR_CANDIDATES,
  UNLABELLED_CONTRAST,
  batchAlreadyTrained,
  batchToTrain,
  isPolicyName,
  learnerFor,
  markBatchTrained,
  type EmbeddingCache,
  type PolicyName,
} from '../bandit';
import { hasImportedLabels, latestLabelled } from '../labels';
import { sampleUnlabelled } from '../records';
import { getArtifacts, getBanditState, incrementBatchCount, insertVersion, logDecision, newVersionId, setActiveVersion } from './repository';
import type { SeedSequence } from './seeds';
import type { Trainer } from './training/trainer';

/** What training needs from the app: wired once in backend/app.ts. */
export interface TrainingDeps {
  db: Db;
  logger: Logger;
  trainer: Trainer;
  /** Uniform [0, 1) source for the unlabelled samples. */
  random: () => number;
  seeds: SeedSequence;
  /** Primed with the new version's embeddings of the neighbour candidates after an online update. */
  embeddings: EmbeddingCache;
}

export type WarmStartReport =
  | { trained: true; policy: PolicyName; version: string; labels: number; imported: number; unlabelled: number; ms: number }
  | { trained: false; policy: PolicyName; reason: 'seed-policy' | 'no-labels' };

/**
 * Random records without a label, as the contrast of imported keepers (positive–unlabelled learning):
 * only the default learner uses them, and only when some labels came from an import.
 */
export async function unlabelledContrast(deps: TrainingDeps, policy: PolicyName): Promise<Release[] | undefined> {
  if (learnerFor(policy) !== 'learn' || !(await hasImportedLabels(deps.db))) return undefined;
  return sampleUnlabelled(deps.db, UNLABELLED_CONTRAST, deps.random);
}

/**
 * Online update for one labelled batch, by the policy the batch ran with (backend/bandit/policy.ts):
 * `seed` = onlineUpdate on the batch's labels (triplets against history); the default learner = learn()
 * (encoder steps, then its Bayesian head refitted on every label). New version, counter + 1.
 * Returns the new version, or null when the batch is unknown or was trained already.
 */
export async function onlineUpdate(deps: TrainingDeps, batchId: number): Promise<string | null> {
  const { db, logger } = deps;
  const toTrain = await batchToTrain(db, batchId);
  if (!toTrain) return null;
  // A batch stored by a newer program with a policy this one does not know trains as the default.
  const policy = isPolicyName(toTrain.policy) ? toTrain.policy : DEFAULT_POLICY;
  const batch = toTrain.picks.map((p) => ({ ...p, source: 'user' as const }));
  const history = (await latestLabelled(db, { excludeReleaseIds: batch.map((b) => b.release.id) })).map(({ release, keeper, source }) => ({ release, keeper, source }));
  const unlabelled = await unlabelledContrast(deps, policy);
  const state = await getBanditState(db);
  const artifacts = await getArtifacts(db, state.activeVersion!);
  if (!artifacts) throw new Error(`Active model version ${state.activeVersion} is missing.`);
  // The worker also embeds the labelled neighbour candidates with the new weights, so the next batch's
  // reasons do not embed them on this thread.
  const neighbours = (await latestLabelled(db, { limit: NEIGHBOUR_CANDIDATES })).map((l) => l.release);
  const seed = deps.seeds.next();
  const result = await deps.trainer.online({ artifacts, policy, batch, history, unlabelled, batchNumber: state.batchCount, newVersion: newVersionId(), seed, embed: neighbours });
  const outcome = await db.transaction(async (q): Promise<'activated' | 'stored' | 'duplicate'> => {
    // Another process on the same file (the server and `keepers train` both resume interrupted
    // updates) may have trained this batch meanwhile: its result stands, this one is dropped.
    if (await batchAlreadyTrained(q, batchId)) return 'duplicate';
    // A rollback (or another version) made while this update ran wins: the new version is stored and
    // the batch counts as trained, but it becomes active only if its parent is still the active one.
    const current = await getBanditState(q);
    const activate = current.activeVersion === artifacts.modelVersion;
    await insertVersion(q, result.artifacts, { kind: 'online', batchNumber: state.batchCount });
    if (activate) await setActiveVersion(q, result.artifacts.modelVersion, { incrementBatch: true });
    else await incrementBatchCount(q);
    await markBatchTrained(q, batchId, result.artifacts.modelVersion);
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
    logger.info({ batchId, version: result.artifacts.modelVersion }, 'online update dropped: another process trained this batch meanwhile');
    return null;
  }
  if (result.embeddings) deps.embeddings.prime(result.artifacts.modelVersion, neighbours, result.embeddings);
  logger.info(
    { batchId, batchNumber: state.batchCount, policy, version: result.artifacts.modelVersion, parent: artifacts.modelVersion, activated: outcome === 'activated', finalLoss: result.losses.at(-1), ms: result.ms },
    outcome === 'activated' ? 'online update: new model version' : 'online update stored but not activated: the active version changed meanwhile (a rollback wins)',
  );
  return result.artifacts.modelVersion;
}

/**
 * Warm start after `keepers import --as-keepers`: the default learner fitted at once on every label
 * (the imported keepers against a random sample of unlabelled records, positive–unlabelled learning),
 * so the first batch already exploits the collection. A new active version (kind 'warm-start'); the
 * batch counter is unchanged. Under `seed` nothing is trained: that policy learns only from labelled
 * batches, as specified (README.md, "The model and the bandit").
 */
export async function warmStart(deps: TrainingDeps): Promise<WarmStartReport> {
  const { db, logger } = deps;
  const state = await getBanditState(db);
  if (learnerFor(state.policy) !== 'learn') return { trained: false, policy: state.policy, reason: 'seed-policy' };
  const labelled = (await latestLabelled(db)).map(({ release, keeper, source }) => ({ release, keeper, source }));
  if (labelled.length === 0) return { trained: false, policy: state.policy, reason: 'no-labels' };
  const unlabelled = await sampleUnlabelled(db, UNLABELLED_CONTRAST, deps.random);
  // Another writer (the server's online update) may change the active version meanwhile: fit again on
  // top of the newer one rather than replace it.
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await getBanditState(db);
    const artifacts = await getArtifacts(db, current.activeVersion!);
    if (!artifacts) throw new Error(`Active model version ${current.activeVersion} is missing.`);
    const result = await deps.trainer.online({
      artifacts,
      policy: current.policy,
      batch: [],
      history: labelled,
      unlabelled,
      batchNumber: current.batchCount,
      newVersion: newVersionId(),
      seed: deps.seeds.next(),
    });
    const imported = labelled.filter((l) => l.source === 'import').length;
    const promoted = await db.transaction(async (q) => {
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
    logger.info({ version: result.artifacts.modelVersion, labels: labelled.length, imported, unlabelled: unlabelled.length, ms: result.ms }, 'warm start: new model version');
    return { trained: true, policy: current.policy, version: result.artifacts.modelVersion, labels: labelled.length, imported, unlabelled: unlabelled.length, ms: result.ms };
  }
  throw new Error('Warm start gave up: the active model version kept changing while it trained (run the import again).');
}
