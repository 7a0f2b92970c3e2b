// "Why shown?" on the device (DESIGN §8), when the backend cannot be asked: the local model supplies the
// evidence (embeddings, Monte-Carlo spread, occlusion deltas) and shared/explain turns it into sentences.
import { explainRecord, occlusionVariants, type Reason } from '../../shared/explain';
import type { Release } from '../../shared/schemas';
import type { BadgeStrategy } from './messaging';
import type { Scorer } from './scorer';

export interface LabelledRecord {
  releaseId: number;
  keeper: boolean;
  release: Release | null;
}

export interface LocalExplainInput {
  release: Release;
  strategy: BadgeStrategy;
  batchNumber: number;
  labels: LabelledRecord[];
}

/** Labelled records compared in embedding space: the most recent ones, at most this many. */
const MAX_LABELLED_COMPARED = 300;

export function explainLocally(scorer: Scorer, input: LocalExplainInput): Reason[] {
  const { release, strategy, batchNumber } = input;
  const labelled = input.labels.filter((l) => l.release && l.release.id !== release.id).slice(-MAX_LABELLED_COMPARED);
  const variants = occlusionVariants(release);
  // One batch: the record, its occlusion variants, then the labelled records.
  const preds = scorer.predict([release, ...variants.map((v) => v.release), ...labelled.map((l) => l.release!)], { withEmbedding: true });
  const target = preds[0]!;
  return explainRecord({
    target: {
      release,
      mean: target.mean,
      uncertainty: target.uncertainty,
      aleatoric: target.aleatoric,
      embedding: target.embedding ?? [],
      strategy,
    },
    labelled: labelled.map((l, i) => ({ release: l.release!, keeper: l.keeper, embedding: preds[1 + variants.length + i]!.embedding ?? [] })),
    occlusion: variants.map((v, i) => ({ feature: v.feature, detail: v.detail, delta: target.mean - preds[1 + i]!.mean })),
    schedule: strategy === 'explore' ? { batchNumber } : undefined,
  });
}
