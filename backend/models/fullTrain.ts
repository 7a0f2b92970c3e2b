// Full training (`keepers train`): a fresh model trained on every label (latest per record) in curriculum
// order, compared with the active version on held-out labels, and promoted only if it is not worse.
// The new version is stored either way (status 'rejected' when not promoted) so the decision can be audited.
import { getArtifacts, getBanditState, insertVersion, logDecision, newVersionId, setActiveVersion } from './repository';
import { latestLabelled } from '../labels';
import type { Evaluation } from './training/evaluate';
import { unlabelledContrast, type TrainingDeps } from './updates';

export interface FullTrainReport {
  version: string;
  policy: string;
  previous: string | null;
  promoted: boolean;
  /** Better on held-out labels, but the active version changed while it trained (a rollback or an online update wins). */
  superseded: boolean;
  trainSize: number;
  holdoutSize: number;
  candidate: Evaluation;
  incumbent: Evaluation | null;
  ms: number;
}

export async function fullTrain(deps: TrainingDeps, opts: { epochs?: number; holdoutFraction?: number } = {}): Promise<FullTrainReport> {
  const labelled = (await latestLabelled(deps.db)).map(({ release, keeper, source }) => ({ release, keeper, source }));
  if (labelled.length === 0) throw new Error('No labels yet: label a batch or import your collection with --as-keepers first.');
  const state = await getBanditState(deps.db);
  const current = state.activeVersion ? await getArtifacts(deps.db, state.activeVersion) : null;
  // The policy in use decides the head: the default learner's candidate gets its Bayesian head fitted too.
  const unlabelled = await unlabelledContrast(deps, state.policy);
  const result = await deps.trainer.full({
    current,
    policy: state.policy,
    labelled,
    unlabelled,
    newVersion: newVersionId(),
    // The app's seed (`keepers train --seed N`): the same seed and labels train the same candidate.
    seed: deps.seeds.base,
    epochs: opts.epochs,
    holdoutFraction: opts.holdoutFraction,
  });
  const promoted = await deps.db.transaction(async (q) => {
    // Only promote over the version we compared against: a rollback or online update meanwhile wins.
    const activated = result.promote && (await getBanditState(q)).activeVersion === state.activeVersion;
    await insertVersion(q, result.artifacts, { kind: 'full', status: result.promote ? 'ready' : 'rejected' });
    if (activated) await setActiveVersion(q, result.artifacts.modelVersion);
    await logDecision(q, 'full-training', {
      version: result.artifacts.modelVersion,
      policy: state.policy,
      previous: state.activeVersion,
      promoted: activated,
      superseded: result.promote && !activated,
      candidate: result.candidate,
      incumbent: result.incumbent,
      trainSize: result.trainSize,
      holdoutSize: result.holdoutSize,
    });
    return activated;
  });
  deps.logger.info({ version: result.artifacts.modelVersion, promoted, candidate: result.candidate, incumbent: result.incumbent }, 'full training done');
  return {
    version: result.artifacts.modelVersion,
    policy: state.policy,
    previous: state.activeVersion,
    promoted,
    superseded: result.promote && !promoted,
    trainSize: result.trainSize,
    holdoutSize: result.holdoutSize,
    candidate: result.candidate,
    incumbent: result.incumbent,
    ms: result.ms,
  };
}
