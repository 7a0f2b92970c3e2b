// The background's work, behind the messages of core/messaging.ts: local scoring, labels (queued,
// applied at once, synced later), the popup's batches, pairing and sync. background.ts only wires it up.
import { TRPCClientError } from '@trpc/client';
import type { Release } from '../../shared/schemas';
import type { PolicyName } from '../../shared/bandit/learner';
import { explorationRate } from '../../shared/bandit';
import { createBackendClient, describeBackendError, isUnauthorized, normaliseBackendUrl, type BackendClient } from './backendClient';
import { checkShownScore, explainShown, unlearnedReasons } from './explain';
import { withDefaults } from './features';
import { LabelQueue, type QueuedLabel, type RefusedLabel, type SubmitResult } from './labelQueue';
import type {
  BackendPreference,
  ExtensionStatus,
  PageRecord,
  PolicySetting,
  PopupBatch,
  PopupBatchItem,
  Reason,
  RecordScore,
  ScorerStatus,
  ShownScore,
  SyncState,
} from './messaging';
import { clearCachedArtifacts, readCachedArtifacts, writeCachedArtifacts } from './modelCache';
import { assignByPosterior, assignStrategies, assignUnlearned, pageBatchSize, pageReleases, releaseFromPageRecord, type PageEntry, type PosteriorPage } from './records';
import { recordKey, type RecordKey } from './recordKey';
import { Scorer } from './scorer';
import { pairingItem } from './secrets';
import {
  backendPreferenceItem,
  backendUrlItem,
  currentBatchItem,
  EMPTY_SYNC,
  labelsItem,
  queueStore,
  refusedLabelsItem,
  syncItem,
  togglesItem,
  type LocalLabel,
  type Pairing,
} from './settings';

/** A backend older than the procedure asked for (tRPC answers NOT_FOUND "No procedure found"). */
function isMissingProcedure(err: unknown): boolean {
  return err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === 'NOT_FOUND' && /no procedure/i.test(err.message);
}

/** A sentence for the options page when reading or choosing the policy failed. */
function policyError(err: unknown, doing: string): string {
  if (isMissingProcedure(err)) return `Could not ${doing}: this backend does not offer a choice of learner yet (update it).`;
  if (err instanceof TRPCClientError) {
    const issues = (err.data as { issues?: { message: string }[] | null } | undefined)?.issues;
    if (issues && issues.length > 0) return `Could not ${doing}: ${issues.map((i) => i.message).join('; ')}.`;
  }
  return `Could not ${doing}: ${describeBackendError(err)}`;
}

/** models.latest, or null while the backend has no model version yet (NOT_FOUND). */
async function latestModel(client: BackendClient) {
  try {
    return await client.models.latest.query();
  } catch (err) {
    if (err instanceof TRPCClientError && (err.data as { code?: string } | undefined)?.code === 'NOT_FOUND') return null;
    throw err;
  }
}

const plural = (n: number, one: string): string => `${n} ${n === 1 ? one : `${one}s`}`;

const LABEL_PAGE_SIZE = 1000;
/** How the sync status says that labels were refused (components/format.ts shows it as is). */
export const REFUSED_MARK = 'refused by the backend';
/** Refused labels kept for the user to see. */
const REFUSED_KEPT = 50;
const LABEL_PAGES = 20;

/** Labels are sent this long after the last one, so a burst of labels goes in one request. */
const FLUSH_DELAY_MS = 1500;
/** Releases seen on pages, kept for labels and explanations that arrive without the record. */
const RECENT_LIMIT = 5000;

export class KeepersService {
  readonly scorer: Scorer;
  readonly queue: LabelQueue;
  /** Records seen on pages by key ('r:' releases, 'm:' master-only rows), newest last. */
  private recent = new Map<RecordKey, Release>();
  private upserted = new Set<number>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private syncing: Promise<SyncState> | null = null;

  constructor(wasmPaths: string) {
    this.scorer = new Scorer({ wasmPaths });
    this.queue = new LabelQueue(queueStore, (labels) => this.submitToBackend(labels), { onRefused: (refused) => this.noteRefused(refused) });
  }

  /** Serialises every read-modify-write of chrome.storage items here (labels, current batch, sync record). */
  private storageLock: Promise<unknown> = Promise.resolve();

  private withStorage<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.storageLock.then(fn, fn);
    this.storageLock = run.catch(() => undefined);
    return run;
  }

  /** Labels the backend refused: kept (the last REFUSED_KEPT) for the options page, and said in the sync status. */
  private async noteRefused(refused: RefusedLabel[]): Promise<void> {
    await this.withStorage(async () => {
      const kept = [...(await refusedLabelsItem.getValue()), ...refused].slice(-REFUSED_KEPT);
      await refusedLabelsItem.setValue(kept);
      const sync = await syncItem.getValue();
      const first = refused[0]!;
      await syncItem.setValue({
        ...sync,
        lastError: `${plural(refused.length, 'label')} ${REFUSED_MARK} and not saved there (release ${first.label.releaseId}: ${first.reason}); the other labels were sent.`,
      });
    });
    console.warn('[keepers] labels refused by the backend:', refused);
  }

  private async ready(): Promise<Scorer> {
    await this.scorer.start(await backendPreferenceItem.getValue(), readCachedArtifacts);
    // The page scores with the head of the backend's policy (a restarted worker reads it from storage).
    this.scorer.setPolicy((await syncItem.getValue()).policy ?? null);
    return this.scorer;
  }

  private async client(): Promise<{ client: BackendClient; pairing: Pairing } | null> {
    const pairing = await pairingItem.getValue();
    if (!pairing) return null;
    return { client: createBackendClient(pairing.backendUrl, pairing.token), pairing };
  }

  private remember(entries: PageEntry[]): void {
    for (const e of entries) {
      this.recent.delete(e.key);
      this.recent.set(e.key, e.release);
    }
    while (this.recent.size > RECENT_LIMIT) this.recent.delete(this.recent.keys().next().value!);
  }

  // ---- scoring ----

  async scoreRecords(records: PageRecord[]): Promise<{ items: RecordScore[]; backend: string; modelVersion: string | null }> {
    const scorer = await this.ready();
    const { entries, rejected } = pageReleases(records);
    if (rejected.length > 0) console.warn('[keepers] records the page gave that could not be read:', rejected);
    this.remember(entries);
    // Releases and master-only records in one batch; predictions come back in input order.
    const predictions = scorer.predict(entries.map((e) => e.release));
    const labels = await labelsItem.getValue();
    const labelled = new Set(Object.keys(labels).map(Number));
    const { batchNumber } = await syncItem.getValue();
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

  /** Tells the backend about records seen on pages (its pool and labels need their metadata). Best effort. */
  private async upsertRecords(releases: Release[]): Promise<void> {
    const fresh = releases.filter((r) => !this.upserted.has(r.id));
    if (fresh.length === 0) return;
    const conn = await this.client();
    if (!conn) return;
    try {
      await conn.client.records.upsert.mutate({ records: fresh });
      for (const r of fresh) this.upserted.add(r.id);
    } catch (err) {
      console.warn('[keepers] records.upsert failed (will retry on the next page):', describeBackendError(err));
    }
  }

  /**
   * "Why shown?": the reasons state the badge's numbers: `data.score` (what the badge shows) or else the
   * score the last scoreRecords gave this record; only a record never scored is scored anew.
   */
  async explainRecord(data: { releaseId: number | null; record?: PageRecord; score?: ShownScore }): Promise<{ reasons: Reason[] }> {
    const { record } = data;
    const key = recordKey(record ?? { releaseId: data.releaseId });
    const releaseId = record ? record.releaseId : data.releaseId;
    const release = record ? releaseFromPageRecord(record) : this.recent.get(key);
    const last = this.lastScores.get(key);
    const shown = data.score ? checkShownScore(data.score) : last?.score;
    const scorer = await this.ready();
    const knowledge = scorer.knowledge;
    const labels = await labelsItem.getValue();
    if (!knowledge.learned) {
      // Nothing learned: say so, and how to start; there is no evidence to cite.
      const pairing = await pairingItem.getValue();
      const status = scorer.status();
      return {
        reasons: unlearnedReasons({
          paired: pairing !== null,
          modelVersion: status.modelVersion,
          modelLabels: knowledge.labels,
          deviceLabels: Object.values(labels).map((l) => l.keeper),
          canLabel: releaseId !== null,
        }),
      };
    }
    // explain.record knows releases only: a master-only record is explained on the device.
    const conn = releaseId === null ? null : await this.client();
    const remote =
      conn && releaseId !== null
        ? async () => (await conn.client.explain.record.query({ releaseId, ...(release ? { record: release } : {}) })).reasons as Reason[]
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
    const { batchNumber } = await syncItem.getValue();
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

  /** What the last page scoring gave each record (the badge the user clicks shows it). */
  private lastScores = new Map<RecordKey, { score: ShownScore; batchSize: number; page?: PosteriorPage }>();

  private noteScores(items: RecordScore[], page?: PosteriorPage): void {
    const batchSize = pageBatchSize(items.filter((i) => i.label === undefined).length);
    for (const i of items) {
      const key = recordKey(i);
      this.lastScores.delete(key);
      const score: ShownScore = { strategy: i.strategy, mean: i.mean, uncertainty: i.uncertainty, aleatoric: i.aleatoric, learned: i.learned };
      this.lastScores.set(key, { score, batchSize, ...(page ? { page } : {}) });
    }
    while (this.lastScores.size > RECENT_LIMIT) this.lastScores.delete(this.lastScores.keys().next().value!);
  }

  // ---- labels ----

  async submitLabel(data: { releaseId: number; keeper: boolean; batchId?: number | null; record?: PageRecord }): Promise<{ queued: number; clientId: string }> {
    if (!Number.isSafeInteger(data.releaseId) || data.releaseId <= 0) throw new Error(`submitLabel: releaseId must be a positive integer, got ${String(data.releaseId)}`);
    if (typeof data.keeper !== 'boolean') throw new Error('submitLabel: keeper must be true or false');
    const batch = await currentBatchItem.getValue();
    const batchItem = batch && batch.batchId === data.batchId ? batch.items.find((i) => i.releaseId === data.releaseId) : undefined;
    if (data.record && data.record.releaseId !== data.releaseId) {
      throw new Error(`submitLabel: record.releaseId ${String(data.record.releaseId)} does not match releaseId ${data.releaseId}`);
    }
    const release = data.record ? releaseFromPageRecord(data.record) : (this.recent.get(`r:${data.releaseId}`) ?? batchItem?.release ?? null);
    const label: QueuedLabel = {
      clientId: crypto.randomUUID(),
      releaseId: data.releaseId,
      keeper: data.keeper,
      batchId: data.batchId ?? null,
      labelledAt: new Date().toISOString(),
      record: release,
    };
    const queued = await this.queue.enqueue(label);
    const finished = await this.withStorage(async () => {
      const labels = await labelsItem.getValue();
      labels[String(data.releaseId)] = { keeper: data.keeper, labelledAt: label.labelledAt, release };
      await labelsItem.setValue(labels);
      // Re-read: another label of the same batch may have been stored meanwhile.
      const current = await currentBatchItem.getValue();
      const item = current && current.batchId === data.batchId ? current.items.find((i) => i.releaseId === data.releaseId) : undefined;
      if (!current || !item) return false;
      item.label = { keeper: data.keeper, clientId: label.clientId };
      await currentBatchItem.setValue(current);
      return current.items.every((i) => i.label);
    });
    if (finished) {
      // A finished batch: the backend updates the model now; pull the new version at once.
      void this.syncNow();
    } else {
      this.scheduleFlush();
    }
    return { queued, clientId: label.clientId };
  }

  async undoLabel(clientId: string): Promise<{ removed: boolean; queued: number }> {
    const queued = await this.queue.list();
    const label = queued.find((l) => l.clientId === clientId);
    const removed = await this.queue.remove(clientId);
    await this.withStorage(async () => {
      const batch = await currentBatchItem.getValue();
      const batchItem = batch?.items.find((i) => i.label?.clientId === clientId);
      const releaseId = label?.releaseId ?? batchItem?.releaseId;
      if (removed && releaseId !== undefined) {
        const labels = await labelsItem.getValue();
        delete labels[String(releaseId)];
        await labelsItem.setValue(labels);
      }
      if (batch && batchItem) {
        // Already synced labels stay on the backend; labelling again sends a new label that replaces it.
        batchItem.label = null;
        await currentBatchItem.setValue(batch);
      }
    });
    return { removed, queued: await this.queue.size() };
  }

  private scheduleFlush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      void this.flushQuietly();
    }, FLUSH_DELAY_MS);
  }

  private async flushQuietly(): Promise<void> {
    if (!(await pairingItem.getValue())) return;
    try {
      await this.queue.flush();
    } catch (err) {
      await this.noteSyncError(err);
    }
  }

  /** Each label carries its record (the backend needs metadata for records it never saw); idempotent on clientId. */
  private async submitToBackend(labels: QueuedLabel[]): Promise<SubmitResult> {
    const conn = await this.client();
    if (!conn) throw new Error('Not paired: labels stay queued until this device is paired');
    const res = await conn.client.labels.submit.mutate({
      labels: labels.map(({ clientId, releaseId, keeper, batchId, labelledAt, record }) => ({
        clientId,
        releaseId,
        keeper,
        batchId: batchId ?? null,
        labelledAt,
        ...(record ? { record } : {}),
      })),
    });
    return { accepted: res.accepted, duplicates: res.duplicates, modelVersion: res.modelVersion ?? null };
  }

  // ---- popup batches ----

  async getBatch(fresh = false): Promise<PopupBatch> {
    const conn = await this.client();
    if (!conn) throw new Error('Not paired: open the options page and pair this device with your Keepers backend.');
    const stored = await currentBatchItem.getValue();
    if (stored && !fresh && stored.items.some((i) => !i.label)) return stored;
    // Labels of the last batch must reach the backend before it picks the next one.
    await this.queue.flush();
    const selected = await conn.client.bandit.selectBatch.mutate({});
    const ids = selected.items.map((i: { releaseId: number }) => i.releaseId);
    const releases: Release[] = ids.length > 0 ? await conn.client.records.byIds.query({ ids }) : [];
    const byId = new Map(releases.map((r) => [r.id, r]));
    const status = (await this.ready()).status();
    const batch: PopupBatch = {
      batchId: selected.batchId,
      batchNumber: selected.batchNumber,
      exploreRate: selected.exploreRate,
      modelVersion: status.modelVersion,
      items: selected.items.map(
        (i: { releaseId: number; strategy: 'exploit' | 'explore'; mean: number; uncertainty: number; score: number }): PopupBatchItem => ({
          releaseId: i.releaseId,
          strategy: i.strategy,
          mean: i.mean,
          uncertainty: i.uncertainty,
          score: i.score,
          release: byId.get(i.releaseId) ?? null,
          label: null,
        }),
      ),
    };
    await this.withStorage(async () => {
      await currentBatchItem.setValue(batch);
      await syncItem.setValue({ ...(await syncItem.getValue()), batchNumber: selected.batchNumber });
    });
    return batch;
  }

  // ---- pairing and sync ----

  async pairDevice(data: { backendUrl: string; pairingCode: string; deviceName?: string }): Promise<{ deviceId: number }> {
    const backendUrl = normaliseBackendUrl(data.backendUrl);
    const code = data.pairingCode.trim();
    if (code === '') throw new Error('Pairing code is empty: run `npx keepers pair` and copy the code it prints.');
    const deviceName = data.deviceName?.trim() || `Browser extension (${navigator.userAgent.includes('Firefox') ? 'Firefox' : 'Chrome'})`;
    const client = createBackendClient(backendUrl, null);
    let result: { deviceId: number; token: string };
    try {
      result = await client.devices.pair.mutate({ pairingCode: code, deviceName });
    } catch (err) {
      throw new Error(`Pairing failed: ${describeBackendError(err)}`);
    }
    await this.withStorage(async () => {
      await backendUrlItem.setValue(backendUrl);
      await pairingItem.setValue({ backendUrl, token: result.token, deviceId: result.deviceId, deviceName });
      await syncItem.setValue(EMPTY_SYNC);
      await currentBatchItem.setValue(null);
    });
    this.upserted.clear();
    // A sync of the previous pairing may still be running: it will not write its cursor over this one
    // (syncOnce checks the token); wait for it, then sync with the new backend.
    await this.syncing?.catch(() => undefined);
    await this.syncNow();
    return { deviceId: result.deviceId };
  }

  async forgetDevice(): Promise<{ ok: true }> {
    await this.withStorage(async () => {
      await pairingItem.setValue(null);
      await syncItem.setValue(EMPTY_SYNC);
      await currentBatchItem.setValue(null);
    });
    await clearCachedArtifacts();
    this.upserted.clear();
    this.scorer.setPolicy(null);
    if (this.scorer.ready) this.scorer.useUntrained();
    return { ok: true };
  }

  private async noteSyncError(err: unknown): Promise<void> {
    const message = describeBackendError(err);
    await this.withStorage(async () => syncItem.setValue({ ...(await syncItem.getValue()), lastError: message }));
    if (isUnauthorized(err)) console.warn('[keepers] backend refused the device token:', message);
  }

  /** Flush labels, pull other devices' labels, refresh weights when models.latest changed. One at a time. */
  syncNow(): Promise<SyncState> {
    this.syncing ??= this.syncOnce().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async syncOnce(): Promise<SyncState> {
    const conn = await this.client();
    if (!conn) return this.syncState();
    const { client } = conn;
    const sync = await syncItem.getValue();
    const errorBefore = sync.lastError;
    try {
      await this.queue.flush();
      await this.pullLabels(client, sync);
      sync.policy = await this.fetchPolicy(client, sync.policy ?? null);
      const latest = await latestModel(client);
      sync.remoteModelVersion = latest?.version ?? null;
      if (latest) sync.batchNumber = latest.batchCount;
      const scorer = await this.ready();
      if (latest && latest.version !== scorer.status().modelVersion) {
        const artifacts = await client.models.weights.query({ version: latest.version });
        await scorer.useArtifacts(artifacts); // verifies sha256 and the feature schema version
        await writeCachedArtifacts(artifacts);
      }
      sync.lastError = null;
    } catch (err) {
      sync.lastError = describeBackendError(err);
      console.warn('[keepers] sync failed:', sync.lastError);
    }
    sync.lastSyncAt = new Date().toISOString();
    await this.withStorage(async () => {
      // Paired again (or forgotten) while this sync ran: its cursor and versions belong to the old
      // backend and must not be written over the new pairing's.
      if ((await pairingItem.getValue())?.token !== conn.pairing.token) return;
      const now = await syncItem.getValue();
      // A refusal noted during this sync's flush is shown until the next sync, unless the sync failed for another reason.
      const refusedNow = now.lastError !== errorBefore && (now.lastError?.includes(REFUSED_MARK) ?? false);
      const lastError = sync.lastError ?? (refusedNow ? now.lastError : null);
      await syncItem.setValue({ ...now, ...sync, lastError });
    });
    return this.syncState();
  }

  /** bandit.policy's choice; a backend without the procedure (older) keeps the last known one. */
  private async fetchPolicy(client: BackendClient, known: string | null): Promise<string | null> {
    try {
      const { policy } = await client.bandit.policy.query();
      this.scorer.setPolicy(policy);
      return policy;
    } catch (err) {
      if (isMissingProcedure(err)) return known;
      throw err;
    }
  }

  async getPolicy(): Promise<PolicySetting> {
    const conn = await this.client();
    if (!conn) throw new Error('Not paired: pair this browser with your Keepers backend to see and choose its learner.');
    let setting: PolicySetting;
    try {
      const res = await conn.client.bandit.policy.query();
      setting = { policy: res.policy, defaultPolicy: res.defaultPolicy, available: res.available.map((a) => ({ name: a.name, description: a.description })) };
    } catch (err) {
      throw new Error(policyError(err, 'read the learner policy'));
    }
    await this.notePolicy(setting.policy);
    return setting;
  }

  async setPolicy(policy: string): Promise<{ policy: string }> {
    if (typeof policy !== 'string' || policy.trim() === '') throw new Error('Choose a learner policy first.');
    const conn = await this.client();
    if (!conn) throw new Error('Not paired: pair this browser with your Keepers backend to choose its learner.');
    let chosen: string;
    try {
      // The backend checks the name against its own list and answers with the reason when it refuses it.
      ({ policy: chosen } = await conn.client.bandit.setPolicy.mutate({ policy: policy as PolicyName }));
    } catch (err) {
      throw new Error(policyError(err, `switch the learner to "${policy}"`));
    }
    await this.notePolicy(chosen);
    return { policy: chosen };
  }

  private async notePolicy(policy: string): Promise<void> {
    this.scorer.setPolicy(policy);
    await this.withStorage(async () => syncItem.setValue({ ...(await syncItem.getValue()), policy }));
  }

  /** Labels from other devices since the cursor, a page at a time (at most LABEL_PAGES pages per sync). */
  private async pullLabels(client: BackendClient, sync: { cursor: number }): Promise<void> {
    for (let page = 0; page < LABEL_PAGES; page++) {
      const res = await client.labels.since.query({ cursor: sync.cursor, limit: LABEL_PAGE_SIZE });
      if (res.labels.length > 0) {
        await this.withStorage(async () => {
          const labels = await labelsItem.getValue();
          for (const l of res.labels as { releaseId: number; keeper: boolean; labelledAt: string }[]) {
            const key = String(l.releaseId);
            const mine: LocalLabel | undefined = labels[key];
            // Compared as instants: the backend stores UTC, this device may hold another offset.
            if (!mine || Date.parse(mine.labelledAt) <= Date.parse(l.labelledAt)) {
              labels[key] = { keeper: l.keeper, labelledAt: l.labelledAt, release: mine?.release ?? this.recent.get(`r:${l.releaseId}`) ?? null };
            }
          }
          await labelsItem.setValue(labels);
        });
      }
      sync.cursor = res.cursor;
      if (res.labels.length < LABEL_PAGE_SIZE) break;
    }
  }

  async syncState(): Promise<SyncState> {
    const [pairing, sync, queued, backendUrl] = await Promise.all([pairingItem.getValue(), syncItem.getValue(), this.queue.size(), backendUrlItem.getValue()]);
    return {
      paired: pairing !== null,
      backendUrl: pairing?.backendUrl ?? backendUrl,
      deviceId: pairing?.deviceId ?? null,
      queued,
      lastSyncAt: sync.lastSyncAt,
      lastError: sync.lastError,
      remoteModelVersion: sync.remoteModelVersion,
    };
  }

  async getStatus(): Promise<ExtensionStatus> {
    const scorer = await this.ready();
    const [sync, record, labels] = await Promise.all([this.syncState(), syncItem.getValue(), labelsItem.getValue()]);
    return {
      scorer: scorer.status(),
      sync,
      batchNumber: record.batchNumber,
      exploreRate: explorationRate(record.batchNumber),
      labelled: Object.keys(labels).length,
    };
  }

  async setBackendPreference(preference: BackendPreference): Promise<ScorerStatus> {
    if (!['auto', 'webgl', 'wasm', 'cpu'].includes(preference)) throw new Error(`Unknown tfjs backend "${String(preference)}" (auto, webgl, wasm or cpu)`);
    await backendPreferenceItem.setValue(preference);
    const scorer = await this.ready();
    return scorer.setPreference(preference);
  }

  async getFeatureToggles(): Promise<Record<string, boolean>> {
    return withDefaults(await togglesItem.getValue());
  }

  async setFeatureToggles(toggles: Record<string, boolean>): Promise<Record<string, boolean>> {
    for (const [id, on] of Object.entries(toggles)) {
      if (typeof on !== 'boolean') throw new Error(`Feature toggle "${id}" must be true or false`);
    }
    const merged = withDefaults({ ...(await togglesItem.getValue()), ...toggles });
    await togglesItem.setValue(merged);
    return merged;
  }
}
