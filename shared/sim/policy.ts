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

export interface LabelledIndex { index: number; keeper: boolean }

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
  /** learn from a labelled batch; `history` holds every earlier label (not this batch) */
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
}

export type PolicyFactory = (world: SimWorld, seed: number, opts?: PolicyOptions) => Promise<Policy>;

export function topIndices(values: ArrayLike<number>, k: number, exclude?: Set<number>): number[] {
  const order: number[] = [];
  for (let i = 0; i < values.length; i++) if (!exclude?.has(i)) order.push(i);
  // Ties broken by position so the result is deterministic.
  order.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  return order.slice(0, k);
}
