// Model versions in SQLite: artifacts are split into the weights blob and the JSON metadata, and put
// back together byte for byte (the sha256 in the artifacts covers the weights).
import type { ModelArtifacts } from '../shared/model';
import type { Queries } from './db';

export type VersionKind = 'initial' | 'online' | 'full';

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
  policy: string;
}

export async function getBanditState(q: Queries): Promise<BanditState> {
  const row = await q.get<BanditState>('SELECT batch_count AS batchCount, active_version AS activeVersion, policy FROM bandit_models WHERE id = 1');
  return row ?? { batchCount: 0, activeVersion: null, policy: 'seed' };
}

export async function ensureBanditRow(q: Queries): Promise<void> {
  await q.run("INSERT INTO bandit_models (id, batch_count, policy, updated_at) VALUES (1, 0, 'seed', ?) ON CONFLICT(id) DO NOTHING", [new Date().toISOString()]);
}

export async function setActiveVersion(q: Queries, version: string, opts: { incrementBatch?: boolean } = {}): Promise<void> {
  await q.run(
    `UPDATE bandit_models SET active_version = ?, batch_count = batch_count + ?, updated_at = ? WHERE id = 1`,
    [version, opts.incrementBatch ? 1 : 0, new Date().toISOString()],
  );
}

export async function logDecision(q: Queries, kind: string, data: unknown): Promise<void> {
  await q.run('INSERT INTO decision_log (at, kind, data_json) VALUES (?, ?, ?)', [new Date().toISOString(), kind, JSON.stringify(data)]);
}
