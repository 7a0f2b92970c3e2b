// bandit.predict: scores stored records (by id) and records sent along (not stored) with the active model.
import { PREDICTION_SEED, type Prediction } from '../../shared/model';
import type { Release } from '../../shared/schemas';
import type { BanditContext } from './context';
import { DomainError } from '../errors';
import { getBanditState } from '../models';
import { missingIds, releasesByIds } from '../records';
import { headFor } from './policy';
import { predictReleases } from './scoring';

/**
 * The Monte-Carlo passes use PREDICTION_SEED unless a seed is given, so the same version scores the same input
 * the same way on every device. Unknown ids are refused ('not-found').
 */
export async function predictRecords(
  ctx: BanditContext,
  input: { ids?: number[]; records?: Release[]; withEmbedding?: boolean; seed?: number },
): Promise<(Prediction & { modelVersion: string })[]> {
  const missing = input.ids ? await missingIds(ctx.db, input.ids) : [];
  if (missing.length > 0) throw new DomainError('not-found', `Unknown release ids: ${missing.slice(0, 20).join(', ')}.`);
  const stored = input.ids ? await releasesByIds(ctx.db, input.ids) : [];
  const { version, model } = await ctx.models.get();
  // The Bayesian head when the model has one (the default learner); `seed` scores with Monte-Carlo dropout.
  const { policy } = await getBanditState(ctx.db);
  const preds = predictReleases(model, [...stored, ...(input.records ?? [])], { withEmbedding: input.withEmbedding, seed: input.seed ?? PREDICTION_SEED, head: headFor(policy) });
  return preds.map((p) => ({ ...p, modelVersion: version }));
}
