// Model versions, the active model, and training: online updates, warm start, full training.
export { ActiveModels } from './active';
export { ensureLoadableModel } from './initial';
export { SeedSequence } from './seeds';
export { rollback } from './versions';
export { ModelTraining } from './trainingQueue';
export type { TrainingDeps, WarmStartReport } from './updates';
export type { FullTrainReport } from './fullTrain';
export { ensureTf } from './training/jobs';
export { InProcessTrainer, WorkerTrainer, type Trainer } from './training/trainer';
export {
  getArtifacts,
  getBanditState,
  getVersion,
  listVersions,
  logDecision,
  newVersionId,
  setActiveVersion,
  setPolicy,
  type BanditState,
  type VersionKind,
  type VersionRow,
} from './repository';
