// Choosing among stored model versions.
import type { Db } from '../db';
import { DomainError } from '../errors';
import { getBanditState, getVersion, logDecision, setActiveVersion } from './repository';

/** Makes an earlier version active again; the batch counter is left as it is (labels were still given). */
export async function rollback(db: Db, version: string, deviceId: number | null): Promise<{ version: string; previous: string | null }> {
  return db.transaction(async (q) => {
    const row = await getVersion(q, version);
    if (!row) throw new DomainError('not-found', `Unknown model version ${version}: see models.list.`);
    const before = (await getBanditState(q)).activeVersion;
    await setActiveVersion(q, row.version);
    await logDecision(q, 'rollback', { from: before, to: row.version, deviceId });
    return { version: row.version, previous: before };
  });
}
