// The bandit: policies, batch selection and the batch lifecycle, scoring, "Why shown?" reasons, metrics.
export {
  DEFAULT_POLICY,
  POLICIES,
  UNLABELLED_CONTRAST,
  choosePolicy,
  headFor,
  isPolicyName,
  learnerFor,
  policySetting,
  trainingConfig,
  type PolicyName,
  type PolicySetting,
} from './policy';
export { selectBatch, type BatchItem, type BatchResult, type SelectPhases } from './selection';
export { EmbeddingCache, embedReleases, predictReleases, unitDistance } from './scoring';
export { NEIGHBOUR_CANDIDATES, reasonsFor } from './reasons';
export type { BanditContext } from './context';
export { metricsSummary } from './metrics';
export { explainRecord, type Explanation } from './explain';
export { predictRecords } from './predict';
export { similarRecords, type SimilarRecords } from './similar';
export { answerPicks, batchAlreadyTrained, batchToTrain, markBatchTrained, openPickStrategy, picksOf, storeCounts, untrainedCompletedBatchIds } from './repository';
