// explain.record: "Why shown?" for one record, stored or as seen on a page (scored, not stored).
import { PREDICTION_SEED } from '../../shared/model';
import type { Reason, Release } from '../../shared/schemas';
import type { BanditContext } from './context';
import { DomainError } from '../errors';
import { getBanditState } from '../models';
import { releasesByIds } from '../records';
import { headFor } from './policy';
import { reasonsFor } from './reasons';
import { neighbourCandidates } from './neighbours';
import { openPickStrategy } from './repository';
import { predictReleases } from './scoring';

export interface Explanation {
  releaseId: number;
  modelVersion: string;
  mean: number;
  uncertainty: number;
  aleatoric: number;
  reasons: Reason[];
}

export async function explainRecord(ctx: BanditContext, releaseId: number, record: Release | undefined): Promise<Explanation> {
  if (record && record.id !== releaseId) {
    throw new DomainError('invalid', `record.id ${record.id} does not match releaseId ${releaseId}.`);
  }
  const [stored] = await releasesByIds(ctx.db, [releaseId]);
  const release = record ?? stored;
  if (!release) throw new DomainError('not-found', `Unknown release id ${releaseId}: send the record to explain it.`);
  const { version, model } = await ctx.models.get();
  const head = headFor((await getBanditState(ctx.db)).policy);
  const [pred] = predictReleases(model, [release], { seed: PREDICTION_SEED, withEmbedding: true, head });
  // If an open batch picked this record, say why it was picked.
  const strategy = await openPickStrategy(ctx.db, releaseId);
  const labelled = await neighbourCandidates(ctx.db);
  const [reasons] = reasonsFor(
    model,
    [{ release, mean: pred!.mean, uncertainty: pred!.uncertainty, aleatoric: pred!.aleatoric, embedding: pred!.embedding, strategy: strategy ?? 'none' }],
    labelled,
    { embeddings: ctx.embeddings, version },
    head,
  );
  return { releaseId: release.id, modelVersion: version, mean: pred!.mean, uncertainty: pred!.uncertainty, aleatoric: pred!.aleatoric, reasons: reasons! };
}
