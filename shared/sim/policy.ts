// What a policy is to the simulator: it scores a batch's candidates, picks some of them, and learns
// from the revealed labels. Indices refer to the simulator's world (pool order).
import type { Release } from '../schemas';

export type Strategy = 'exploit' | 'explore';

export interface SimWorld {
  pool: Release[];
  /** hashed one-hot hand features per pool record (sorted active indices) */
  hand: Int32Array[];
  /** normalised primary artist per pool record ('' when unknown) */
  artistKey: string[];
}

export interface LabelledIndex {
  index: number;
  keeper: boolean;
  /** where the label came from: the collector labelling a pick ('user', the default) or an imported list ('import') */
  source?: 'user' | 'import';
  /**
   * The record as the learner saw it, when that differs from `world.pool[index]`: an imported keeper
   * comes with the fields of a Discogs collection CSV export only (no genres, styles or community stats).
   */
  release?: Release;
}

export interface Selection {
  picks: { index: number; strategy: Strategy }[];
  exploreRate: number;
  /** predicted keep-probability per candidate (candidate order), or null when the policy has none */
  probs: Float64Array | null;
  /** ranking score per candidate for AUC when the policy has no probabilities */
  scores: Float64Array | null;
  /** the policy's own uncertainty per candidate, or null */
  uncertainty: Float64Array | null;
}

export interface Policy {
  readonly name: string;
  select(candidates: number[], batchNumber: number, batchSize: number): Promise<Selection>;
  /**
   * Called once before batch 0 when the collector imported keepers (scenario warm-start): every item
   * has source 'import', keeper true and `release` = the CSV export's view of the record. The same
   * items start every later `history`.
   */
  warmStart?(imported: LabelledIndex[]): Promise<void>;
  /** learn from a labelled batch; `history` holds every earlier label (not this batch), imports first */
  update(batch: LabelledIndex[], history: LabelledIndex[], batchNumber: number): Promise<void>;
  /** the policy's uncertainty on given records (for labelled vs unlabelled comparisons) */
  uncertaintyOf?(indices: number[]): Promise<number[]>;
  /** the policy's learned embedding of given records (silhouette, embedding map) */
  embeddingsOf?(indices: number[]): number[][];
  dispose(): void;
}

export interface PolicyOptions {
  /** overrides of the model's hyperparameters (KeepersConfig) for the model-based policies; {} = the product's defaults */
  modelConfig?: Record<string, unknown>;
  /**
   * `popularity` only: 1 for the records in the target collector's own lists, left out of the prior's
   * counts (the pool is built from collectors' lists, so counting them would inflate the target's own
   * styles and labels). The engine gives it to no other policy.
   */
  ownLists?: Uint8Array;
  /** `oracle` only: the hidden keeper flags (pool order) in force at a batch. The engine gives it to no other policy. */
  labelsAt?: (batchNumber: number) => Uint8Array;
}

export type PolicyFactory = (world: SimWorld, seed: number, opts?: PolicyOptions) => Promise<Policy>;

export function topIndices(values: ArrayLike<number>, k: number, exclude?: Set<number>): number[] {
  const order: number[] = [];
  for (let i = 0; i < values.length; i++) if (!exclude?.has(i)) order.push(i);
  // Ties broken by position so the result is deterministic.
  order.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  return order.slice(0, k);
}
