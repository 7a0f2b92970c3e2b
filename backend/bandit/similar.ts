// similar.records: the nearest records in the active model's embedding space.
import { recordName } from '../../shared/explain';
import type { BanditContext } from './context';
import { DomainError } from '../errors';
import { latestLabelled } from '../labels';
import { releasesByIds, sampleUnlabelled } from '../records';
import { embedReleases, unitDistance } from './scoring';

/** Records searched besides the labelled ones: a random sample, so the cost stays bounded on big catalogues. */
const UNLABELLED_SAMPLE = 3000;

export interface SimilarRecords {
  releaseId: number;
  modelVersion: string;
  searched: number;
  neighbours: { releaseId: number; title: string; distance: number; keeper: boolean | null }[];
}

/**
 * The k nearest records to `releaseId` (Euclidean distance between L2-normalised embeddings, 0 = same
 * direction, 2 = opposite), among all labelled records and a random sample of unlabelled ones; each
 * with its label when it has one.
 */
export async function similarRecords(ctx: BanditContext, releaseId: number, k: number): Promise<SimilarRecords> {
  const [target] = await releasesByIds(ctx.db, [releaseId]);
  if (!target) throw new DomainError('not-found', `Unknown release id ${releaseId}.`);
  const labelled = await latestLabelled(ctx.db);
  const sample = await sampleUnlabelled(ctx.db, UNLABELLED_SAMPLE, ctx.random);
  const label = new Map(labelled.map((l) => [l.release.id, l.keeper]));
  const candidates = [...labelled.map((l) => l.release), ...sample].filter((r) => r.id !== target.id);
  const { version, model } = await ctx.models.get();
  const [t] = embedReleases(model, [target]);
  const rest = ctx.embeddings.get(version, model, candidates);
  const ranked = rest
    .map((e, i) => ({ release: candidates[i]!, distance: unitDistance(t!, e) }))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, k);
  return {
    releaseId: target.id,
    modelVersion: version,
    searched: candidates.length,
    neighbours: ranked.map((n) => ({ releaseId: n.release.id, title: recordName(n.release), distance: n.distance, keeper: label.get(n.release.id) ?? null })),
  };
}
