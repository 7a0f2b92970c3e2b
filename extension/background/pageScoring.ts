// Page scoring and "Why shown?": a page's records are scored in one batch by the local model, split into
// exploit / explore / none badges (core/records.ts), and remembered, so that "Why shown?" states the
// numbers the badge shows. Records seen on pages are told to the backend (best effort).
import type { Reason, Release } from '../../shared/schemas';
import { describeBackendError } from '../core/backendClient';
import { checkShownScore, explainShown, unlearnedReasons } from '../core/explain';
import type { PageRecord, RecordScore, ShownScore } from '../core/messaging';
import { recordKey } from '../core/recordKey';
import { assignByPosterior, assignStrategies, assignUnlearned, pageBatchSize, pageReleases, releaseFromPageRecord, type PosteriorPage } from '../core/records';
import type { BackendConnection } from './connection';
import type { LocalModel } from './localModel';
import { RecentRecords } from './recentRecords';
import type { BackgroundStorage } from './storage';

const plural = (n: number, one: string): string => `${n} ${n === 1 ? one : `${one}s`}`;

/** What the last page scoring gave a record (the badge the user clicks shows it). */
interface LastScore {
  score: ShownScore;
  batchSize: number;
  page?: PosteriorPage;
}

export interface PageScoringDeps {
  storage: Pick<BackgroundStorage, 'labels' | 'sync' | 'pairing'>;
  model: LocalModel;
  connection: BackendConnection;
  /** Shared with the label store and sync, which look up records seen on pages. */
  recent: RecentRecords;
}

export class PageScoring {
  private readonly lastScores = new RecentRecords<LastScore>();
  /** Release ids the paired backend (by its token) has been told about. */
  private upserted = { token: '', ids: new Set<number>() };

  constructor(private readonly deps: PageScoringDeps) {}

  async scoreRecords(records: PageRecord[]): Promise<{ items: RecordScore[]; backend: string; modelVersion: string | null }> {
    const { storage, recent } = this.deps;
    const scorer = await this.deps.model.ready();
    const { entries, rejected } = pageReleases(records);
    if (rejected.length > 0) console.warn('[keepers] records the page gave that could not be read:', rejected);
    for (const e of entries) recent.set(e.key, e.release);
    // Releases and master-only records in one batch; predictions come back in input order.
    const predictions = scorer.predict(entries.map((e) => e.release));
    const labels = await storage.labels.getValue();
    const labelled = new Set(Object.keys(labels).map(Number));
    const { batchNumber } = await storage.sync.getValue();
    const scored = entries.map((e, i) => {
      const p = predictions[i]!;
      return { releaseId: e.releaseId, masterId: e.masterId, mean: p.mean, uncertainty: p.uncertainty, aleatoric: p.aleatoric };
    });
    const knowledge = scorer.knowledge;
    let assigned: RecordScore[];
    let page: PosteriorPage | undefined;
    if (!knowledge.learned) {
      // Nothing learned: the numbers are an untrained model's; no badge claims anything from them.
      assigned = assignUnlearned(scored, labelled, labelled.size);
    } else if (knowledge.head === 'posterior') {
      ({ items: assigned, page } = assignByPosterior(scored, labelled));
    } else {
      assigned = assignStrategies(scored, labelled, batchNumber);
    }
    const items = assigned.map((item) => {
      const own = item.releaseId === null ? undefined : labels[String(item.releaseId)];
      return own ? { ...item, label: own.keeper } : item;
    });
    this.noteScores(items, page);
    // The backend knows releases only: master-only records stay here.
    void this.upsertRecords(entries.filter((e) => e.releaseId !== null).map((e) => e.release));
    return { items, backend: scorer.status().backend ?? 'none', modelVersion: scorer.status().modelVersion };
  }

  private noteScores(items: RecordScore[], page?: PosteriorPage): void {
    const batchSize = pageBatchSize(items.filter((i) => i.label === undefined).length);
    for (const i of items) {
      const score: ShownScore = { strategy: i.strategy, mean: i.mean, uncertainty: i.uncertainty, aleatoric: i.aleatoric, learned: i.learned };
      this.lastScores.set(recordKey(i), { score, batchSize, ...(page ? { page } : {}) });
    }
  }

  /** Tells the backend about records seen on pages (its pool and labels need their metadata). Best effort. */
  private async upsertRecords(releases: Release[]): Promise<void> {
    const conn = await this.deps.connection.current();
    if (!conn) return;
    // Another pairing (or the same backend paired again) has been told nothing yet.
    if (this.upserted.token !== conn.pairing.token) this.upserted = { token: conn.pairing.token, ids: new Set() };
    const told = this.upserted;
    const fresh = releases.filter((r) => !told.ids.has(r.id));
    if (fresh.length === 0) return;
    try {
      await conn.client.records.upsert.mutate({ records: fresh });
      for (const r of fresh) told.ids.add(r.id);
    } catch (err) {
      console.warn('[keepers] records.upsert failed (will retry on the next page):', describeBackendError(err));
    }
  }

  /**
   * "Why shown?": the reasons state the badge's numbers: `data.score` (what the badge shows) or else the
   * score the last scoreRecords gave this record; only a record never scored is scored anew.
   */
  async explainRecord(data: { releaseId: number | null; record?: PageRecord; score?: ShownScore }): Promise<{ reasons: Reason[] }> {
    const { storage, recent } = this.deps;
    const { record } = data;
    const key = recordKey(record ?? { releaseId: data.releaseId });
    const releaseId = record ? record.releaseId : data.releaseId;
    const release = record ? releaseFromPageRecord(record) : recent.get(key);
    const last = this.lastScores.get(key);
    const shown = data.score ? checkShownScore(data.score) : last?.score;
    const scorer = await this.deps.model.ready();
    const knowledge = scorer.knowledge;
    const labels = await storage.labels.getValue();
    if (!knowledge.learned) {
      // Nothing learned: say so, and how to start; there is no evidence to cite.
      const pairing = await storage.pairing.getValue();
      return {
        reasons: unlearnedReasons({
          paired: pairing !== null,
          modelVersion: scorer.status().modelVersion,
          modelLabels: knowledge.labels,
          deviceLabels: Object.values(labels).map((l) => l.keeper),
          canLabel: releaseId !== null,
        }),
      };
    }
    // explain.record knows releases only: a master-only record is explained on the device.
    const conn = releaseId === null ? null : await this.deps.connection.current();
    const remote =
      conn && releaseId !== null
        ? async () => (await conn.client.explain.record.query({ releaseId, ...(release ? { record: release } : {}) })).reasons
        : null;
    // A badge drawn before the model learned anything has no numbers to state: explain the record anew.
    const stale = shown?.learned === false;
    const learnedSince: Reason[] = stale
      ? [{ kind: 'knowledge', text: `The model has learned from ${knowledge.labels === null ? 'your labels' : plural(knowledge.labels, 'label')} since this page was scored: reload the page to see its numbers on the badges.` }]
      : [];
    if (!release) {
      // A record stored on the backend but never seen here: only the backend can explain it.
      if (!remote) throw new Error(`Record ${key} has not been seen on a page yet: nothing to explain`);
      return { reasons: [...learnedSince, ...(await remote())] };
    }
    const { batchNumber } = await storage.sync.getValue();
    const labelled = Object.entries(labels).map(([id, l]) => ({ releaseId: Number(id), keeper: l.keeper, release: l.release }));
    const input = {
      release,
      shown: stale ? undefined : shown,
      batchNumber,
      batchSize: last?.batchSize,
      page: stale ? undefined : last?.page,
      labels: labelled,
    };
    return { reasons: [...learnedSince, ...(await explainShown(scorer, input, remote))] };
  }
}
