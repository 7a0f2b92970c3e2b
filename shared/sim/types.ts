// The shapes of the simulator's report (report.json): one place, shared by the engine, the
// summary, the markdown writer and the tests.

export type Scenario = 'stationary' | 'shift' | 'new-artists' | 'warm-start' | 'warm-start-enriched' | 'warm-start-cold';
export const SCENARIOS: readonly Scenario[] = ['stationary', 'shift', 'new-artists', 'warm-start', 'warm-start-enriched', 'warm-start-cold'];
/**
 * Scenarios that import half of the keepers before batch 0: `warm-start` as a Discogs CSV export shows
 * them (no genres, styles or community data), `warm-start-enriched` as the backend holds them once a
 * data-dump import has filled them in by release id. `warm-start-cold` is their control: the same half
 * is taken out of the pool, but the learner is not told about it (a cold start on the same keepers to find).
 */
export const isWarmStart = (s: Scenario): boolean => s === 'warm-start' || s === 'warm-start-enriched' || s === 'warm-start-cold';

export interface BatchRecord {
  batch: number;
  exploreRate: number;
  nExplore: number;
  nExploit: number;
  exploitKeepers: number;
  exploreKeepers: number;
  keepers: number;
  /** keepers among this batch's own candidates, capped at the batch size: the best any pick of this batch could do */
  bestAvailableKeepers: number;
  /** keepers the label-seeing `oracle` found in this batch (same seed, same candidate sampling, its own labelled set) */
  oracleKeepers: number;
  /** cumulative regret through this batch: the oracle's cumulative keepers − this policy's cumulative keepers */
  regret: number;
  /** on the candidates' predicted keep-probabilities (items the model has not trained on); null without probabilities */
  ece: number | null;
  auc: number | null;
  /** keeper vs non-keeper silhouette of the labelled records' embeddings; null without an embedding */
  silhouette: number | null;
  meanUncertaintyLabelled: number | null;
  meanUncertaintyUnlabelled: number | null;
  /** mean pairwise distance of the picks in the common hand-feature space (comparable across policies) */
  diversity: number | null;
  /** share of picks whose artist was never labelled before */
  novelty: number;
  trainMs: number;
  selectMs: number;
  /** release ids of the picks, in pick order */
  pickedIds: number[];
}

export interface ReliabilityBin { lo: number; hi: number; count: number; meanProb: number; fracPositive: number }

export interface RunRecord {
  policy: string;
  seed: number;
  batches: BatchRecord[];
  /** reliability bins over every candidate prediction of the run (null for policies without probabilities) */
  reliability: ReliabilityBin[] | null;
  /** 2-d map (UMAP) of the labelled records' embeddings at the end of the run, when asked for */
  embeddingMap?: { x: number; y: number; keeper: boolean }[];
  /** ECE (10 bins) pooled over every candidate prediction of batches POOLED_ECE_FROM…POOLED_ECE_TO; null without probabilities there */
  ecePooled: number | null;
  /** keepers imported before batch 0 (scenario warm-start; 0 otherwise): labelled, never candidates */
  imported: number;
}

export interface Interval { mean: number; lo: number; hi: number; n: number }

export interface PolicySummary {
  cumulativeKeepers: Interval;
  /** keepers found in batches 0–19 */
  keepersFirst20: Interval;
  /** keepers found in batches 0–4 (what a warm start should raise) */
  keepersFirst5: Interval;
  /** regret after the last batch: the oracle's keepers − this policy's (same seeds) */
  cumulativeRegret: Interval;
  /** this policy's keepers ÷ lin-ts's, paired by seed, over all batches / batches 0–19; null without lin-ts in the run */
  ratioVsLinTs: Interval | null;
  ratioVsLinTsFirst20: Interval | null;
  /** this policy's keepers ÷ random's, paired by seed, over all batches; null without random in the run */
  ratioVsRandom: Interval | null;
  /** ECE pooled over the candidate predictions of batches 10–50 (see RunRecord.ecePooled) */
  ecePooled: Interval | null;
  /** mean uncertainty of the user-labelled records ÷ that of the unseen candidates, measured before batch 20 is picked */
  uncertaintyRatioAt20: Interval | null;
  exploitKeeperRate: Interval | null;
  exploreKeeperRate: Interval | null;
  exploitKeeperRateLast20: Interval | null;
  ece: Interval | null;
  auc: Interval | null;
  silhouette: Interval | null;
  trainMsPerBatch: Interval;
  selectMsPerBatch: Interval;
}

export interface SimReport {
  policy: string[];
  seeds: number[];
  scenario: Scenario;
  user: string;
  settings: {
    batches: number;
    batchSize: number;
    poolSize: number;
    keepersFile: string;
    poolFiles: string[];
    kinds: string[];
    shiftUser: string | null;
    /** the product's default learner (shared/bandit/learner.ts DEFAULT_POLICY) when this report was made */
    defaultPolicy: string;
    modelConfig: Record<string, unknown>;
    poolRecords: number;
    keepersInPool: number;
    /** keepers imported before batch 0 (warm-start; 0 otherwise) */
    importedKeepers: number;
    /** keepers the policies can find: keepersInPool − importedKeepers */
    keepersToFind: number;
    keepersMissingFromPool: number;
    backend: string | null;
  };
  runs: RunRecord[];
  summary: Record<string, PolicySummary>;
}
