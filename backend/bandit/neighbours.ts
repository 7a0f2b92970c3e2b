// The labelled records "Why shown?" compares a pick with (the newest NEIGHBOUR_CANDIDATES labels), kept
// between batches. Reading them costs a window query over every label and 2,000 JSON parses (≈70–90 ms
// of a selectBatch on 100,000 records); they only change when a label arrives. Labels are only ever
// inserted, so the labels' stamp (newest id, count) says when to read again. A labelled record's
// details may also change (enrichment fills in genres): entries older than MAX_AGE_MS are read again.
import type { LabelledRelease, LabelSource } from '../../shared/schemas';
import type { Queries } from '../db';
import { labelsStamp, latestLabelled } from '../labels';
import { NEIGHBOUR_CANDIDATES } from './reasons';

type Neighbour = LabelledRelease & { labelledAt: string; source: LabelSource };

const MAX_AGE_MS = 60_000;

const cached = new WeakMap<Queries, { stamp: string; at: number; labelled: Neighbour[] }>();

/** latestLabelled(db, { limit: NEIGHBOUR_CANDIDATES }), read again only when a label was stored (or after a minute). */
export async function neighbourCandidates(db: Queries, now = Date.now()): Promise<Neighbour[]> {
  const stamp = await labelsStamp(db);
  const hit = cached.get(db);
  if (hit && hit.stamp === stamp && now - hit.at < MAX_AGE_MS) return hit.labelled;
  const labelled = await latestLabelled(db, { limit: NEIGHBOUR_CANDIDATES });
  cached.set(db, { stamp, at: now, labelled });
  return labelled;
}
