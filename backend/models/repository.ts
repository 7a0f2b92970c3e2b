// The models domain's SQL. Model versions: artifacts are split into the weights blob and the JSON
// metadata, and put back together byte for byte (the sha256 in the artifacts covers the weights). The
// bandit state (one row: active version, batch counter, chosen policy) and the decision log.
import type { ModelArtifacts } from '../../shared/model';
import { DEFAULT_POLICY, isPolicyName, type PolicyName } from '../../shared/bandit/learner';
import type { Queries } from '../db';

/** 'warm-start': the default learner fitted on an imported collection (`keepers import --as-keepers`). */
export type VersionKind = 'initial' | 'online' | 'full' | 'warm-start';

let lastStamp = 0;
/** Timestamp version ids (sortable, unique within this process): 20261126T232000123Z. */
export function newVersionId(now = Date.now()): string {
  const stamp = Math.max(now, lastStamp + 1);
  lastStamp = stamp;
  return new Date(stamp).toISOString().replace(/[-:.]/g, '');
}

export interface VersionRow {
  version: string;
  parentVersion: string | null;
  createdAt: string;
  sha256: string;
  featureSchemaVersion: number;
  kind: VersionKind;
  batchNumber: number | null;
  status: 'ready' | 'rejected';
  metrics: Record<string, number>;
}

const VERSION_COLUMNS = `version, parent_version AS parentVersion, created_at AS createdAt, sha256,
  feature_schema_version AS featureSchemaVersion, kind, batch_number AS batchNumber, status, metrics_json`;

function toVersionRow(row: Record<string, unknown>): VersionRow {
  const { metrics_json, ...rest } = row;
  return { ...(rest as Omit<VersionRow, 'metrics'>), metrics: JSON.parse(String(metrics_json)) as Record<string, number> };
}

export async function insertVersion(
  q: Queries,
  artifacts: ModelArtifacts,
  opts: { kind: VersionKind; batchNumber?: number | null; status?: 'ready' | 'rejected' },
): Promise<void> {
  const { weightsBase64, ...meta } = artifacts;
  await q.run(
    `INSERT INTO model_versions (version, parent_version, created_at, sha256, feature_schema_version, kind, batch_number, status, metrics_json, artifacts_json, weights)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      artifacts.modelVersion,
      artifacts.parentVersion,
      artifacts.createdAt,
      artifacts.sha256,
      artifacts.featureSchemaVersion,
      opts.kind,
      opts.batchNumber ?? null,
      opts.status ?? 'ready',
      JSON.stringify(artifacts.metrics ?? {}),
      JSON.stringify(meta),
      Buffer.from(weightsBase64, 'base64'),
    ],
  );
}

export async function getArtifacts(q: Queries, version: string): Promise<ModelArtifacts | null> {
  const row = await q.get<{ artifacts_json: string; weights: Buffer }>('SELECT artifacts_json, weights FROM model_versions WHERE version = ?', [version]);
  if (!row) return null;
  return { ...(JSON.parse(row.artifacts_json) as Omit<ModelArtifacts, 'weightsBase64'>), weightsBase64: Buffer.from(row.weights).toString('base64') };
}

export async function getVersion(q: Queries, version: string): Promise<VersionRow | null> {
  const row = await q.get<Record<string, unknown>>(`SELECT ${VERSION_COLUMNS} FROM model_versions WHERE version = ?`, [version]);
  return row ? toVersionRow(row) : null;
}

export async function listVersions(q: Queries): Promise<VersionRow[]> {
  return (await q.all<Record<string, unknown>>(`SELECT ${VERSION_COLUMNS} FROM model_versions ORDER BY created_at DESC, version DESC`)).map(toVersionRow);
}

export interface BanditState {
  batchCount: number;
  activeVersion: string | null;
  /** The policy batches run with: the collector's choice, else DEFAULT_POLICY. */
  policy: PolicyName;
  /** When the collector chose `policy` (null: never chose, the default applies). */
  policyChosenAt: string | null;
}

export async function getBanditState(q: Queries): Promise<BanditState> {
  const row = await q.get<{ batchCount: number; activeVersion: string | null; policy: string; policyChosenAt: string | null }>(
    'SELECT batch_count AS batchCount, active_version AS activeVersion, policy, policy_chosen_at AS policyChosenAt FROM bandit_models WHERE id = 1',
  );
  if (!row) return { batchCount: 0, activeVersion: null, policy: DEFAULT_POLICY, policyChosenAt: null };
  // Not chosen: the default of this code (it may have changed since the row was written). A stored
  // name this code does not know (a newer program wrote it) falls back to the default too.
  const policy = row.policyChosenAt && isPolicyName(row.policy) ? row.policy : DEFAULT_POLICY;
  return { ...row, policy };
}

/** Creates the one bandit row (policy = the default, not chosen), and keeps an unchosen row's stored policy equal to the default. */
export async function ensureBanditRow(q: Queries): Promise<void> {
  const now = new Date().toISOString();
  await q.run('INSERT INTO bandit_models (id, batch_count, policy, updated_at) VALUES (1, 0, ?, ?) ON CONFLICT(id) DO NOTHING', [DEFAULT_POLICY, now]);
  await q.run('UPDATE bandit_models SET policy = ?, updated_at = ? WHERE id = 1 AND policy_chosen_at IS NULL AND policy <> ?', [DEFAULT_POLICY, now, DEFAULT_POLICY]);
}

/** The collector's choice of policy; it stays until they choose again. */
export async function setPolicy(q: Queries, policy: PolicyName): Promise<void> {
  const now = new Date().toISOString();
  await ensureBanditRow(q);
  await q.run('UPDATE bandit_models SET policy = ?, policy_chosen_at = ?, updated_at = ? WHERE id = 1', [policy, now, now]);
}

export async function setActiveVersion(q: Queries, version: string, opts: { incrementBatch?: boolean } = {}): Promise<void> {
  await q.run(
    `UPDATE bandit_models SET active_version = ?, batch_count = batch_count + ?, updated_at = ? WHERE id = 1`,
    [version, opts.incrementBatch ? 1 : 0, new Date().toISOString()],
  );
}

/** One more batch trained, the active version unchanged (its update was stored but not activated). */
export async function incrementBatchCount(q: Queries): Promise<void> {
  await q.run('UPDATE bandit_models SET batch_count = batch_count + 1, updated_at = ? WHERE id = 1', [new Date().toISOString()]);
}

export async function logDecision(q: Queries, kind: string, data: unknown): Promise<void> {
  await q.run('INSERT INTO decision_log (at, kind, data_json) VALUES (?, ?, ?)', [new Date().toISOString(), kind, JSON.stringify(data)]);
}
