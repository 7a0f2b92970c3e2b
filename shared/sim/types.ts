// The shapes of the simulator's report (report.json): one place, shared by the engine, the
// summary, the markdown writer and the tests.

export type Scenario = 'stationary' | 'shift' | 'new-artists';
export const SCENARIOS: readonly Scenario[] = ['stationary', 'shift', 'new-artists'];

export interface BatchRecord {
  batch: number;
  exploreRate: number;
  nExplore: number;
  nExploit: number;
  exploitKeepers: number;
  exploreKeepers: number;
  keepers: number;
  /** keepers among this batch's candidates, capped at the batch size: the best any policy could do */
  oracleKeepers: number;
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
}

export interface Interval { mean: number; lo: number; hi: number; n: number }

export interface PolicySummary {
  cumulativeKeepers: Interval;
  cumulativeRegret: Interval;
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
    modelConfig: Record<string, unknown>;
    poolRecords: number;
    keepersInPool: number;
    keepersMissingFromPool: number;
    backend: string | null;
  };
  runs: RunRecord[];
  summary: Record<string, PolicySummary>;
}
