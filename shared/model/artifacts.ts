// Model artifacts: plain JSON (config = topology, base64 float32 weights, metadata) that crosses
// tRPC, SQLite and extension storage unchanged. The sha256 of the weight bytes is computed with
// globalThis.crypto.subtle, so the same code verifies weights in Node and in the browser.
import { FEATURE_SCHEMA_VERSION } from '../features';
import { resolveConfig, type KeepersConfig } from './config';
import { KeepersModel } from './model';
import { weightSpecs } from './network';

export const ARTIFACT_FORMAT = 'keepers-model';

export interface ModelArtifacts {
  format: 'keepers-model';
  modelVersion: string;
  parentVersion: string | null;
  createdAt: string;
  featureSchemaVersion: number;
  config: KeepersConfig;
  weightSpecs: { name: string; shape: number[]; dtype: 'float32' }[];
  weightsBase64: string;
  sha256: string;
  metrics?: Record<string, number>;
}

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('sha256: globalThis.crypto.subtle is not available in this environment');
  const digest = await subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  const CHUNK = 0x8000; // String.fromCharCode takes its bytes as arguments: stay far below the argument limit
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(b64);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

export async function saveArtifacts(
  model: KeepersModel,
  meta: { modelVersion: string; parentVersion?: string | null; metrics?: Record<string, number>; createdAt?: string },
): Promise<ModelArtifacts> {
  if (!meta.modelVersion) throw new Error('saveArtifacts: modelVersion is required');
  const specs = weightSpecs(model.config);
  const arrays = specs.map((s) => model.weights.get(s.name)!.dataSync() as Float32Array);
  const total = arrays.reduce((n, a) => n + a.length, 0);
  const floats = new Float32Array(total);
  let offset = 0;
  for (const a of arrays) {
    floats.set(a, offset);
    offset += a.length;
  }
  const bytes = new Uint8Array(floats.buffer);
  const artifacts: ModelArtifacts = {
    format: ARTIFACT_FORMAT,
    modelVersion: meta.modelVersion,
    parentVersion: meta.parentVersion ?? null,
    createdAt: meta.createdAt ?? new Date().toISOString(),
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    config: structuredClone(model.config),
    weightSpecs: specs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: 'float32' as const })),
    weightsBase64: bytesToBase64(bytes),
    sha256: await sha256Hex(bytes),
  };
  if (meta.metrics) artifacts.metrics = { ...meta.metrics };
  return artifacts;
}

/** Rebuilds a model from artifacts; refuses (readable Error) a wrong format, schema, shape or sha256. */
export async function loadArtifacts(a: ModelArtifacts, opts: { seed?: number } = {}): Promise<KeepersModel> {
  if (a === null || typeof a !== 'object') throw new Error('loadArtifacts: expected a model artifacts object');
  if (a.format !== ARTIFACT_FORMAT) throw new Error(`loadArtifacts: format is ${JSON.stringify(a.format)}, expected "${ARTIFACT_FORMAT}"`);
  const label = `model ${a.modelVersion}`;
  if (a.featureSchemaVersion !== FEATURE_SCHEMA_VERSION) {
    throw new Error(
      `${label} was trained on feature schema v${a.featureSchemaVersion}, but this build encodes features with schema v${FEATURE_SCHEMA_VERSION}: retrain the model (its weights would read the wrong inputs)`,
    );
  }
  if (typeof a.weightsBase64 !== 'string' || typeof a.sha256 !== 'string') {
    throw new Error(`${label}: weightsBase64 and sha256 must be strings`);
  }
  let config: KeepersConfig;
  try {
    config = resolveConfig(a.config);
  } catch (err) {
    throw new Error(`${label}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const expected = weightSpecs(config);
  if (!Array.isArray(a.weightSpecs) || a.weightSpecs.length !== expected.length) {
    throw new Error(`${label}: has ${a.weightSpecs?.length ?? 0} weight tensors, its config needs ${expected.length}`);
  }
  expected.forEach((spec, i) => {
    const got = a.weightSpecs[i]!;
    if (got.name !== spec.name || got.shape.join('x') !== spec.shape.join('x') || got.dtype !== 'float32') {
      throw new Error(`${label}: weight ${i} is ${got.name} [${got.shape.join(', ')}] ${got.dtype}, expected ${spec.name} [${spec.shape.join(', ')}] float32`);
    }
  });
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = base64ToBytes(a.weightsBase64);
  } catch {
    throw new Error(`${label}: weightsBase64 is not valid base64`);
  }
  const sha = await sha256Hex(bytes);
  if (sha !== a.sha256.toLowerCase()) {
    throw new Error(`${label}: sha256 of the weights is ${sha}, the artifacts say ${a.sha256}: the weights are corrupt or were altered`);
  }
  const sizes = expected.map((s) => s.shape.reduce((x, y) => x * y, 1));
  const totalFloats = sizes.reduce((x, y) => x + y, 0);
  if (bytes.length !== totalFloats * 4) {
    throw new Error(`${label}: weights are ${bytes.length} bytes, the weight specs need ${totalFloats * 4}`);
  }
  // Copy into a fresh, aligned buffer (the decoded bytes may not start at a multiple of 4).
  const floats = new Float32Array(bytes.slice().buffer);
  const values: Float32Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    values.push(floats.slice(offset, offset + size));
    offset += size;
  }
  return KeepersModel.fromValues(config, values, opts.seed);
}
