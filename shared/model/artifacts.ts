// Model artifacts: plain JSON (config = topology, base64 float32 weights, metadata) that crosses
// tRPC, SQLite and extension storage unchanged. The sha256 of the weight bytes is computed with
// globalThis.crypto.subtle, so the same code verifies weights in Node and in the browser.
import { FEATURE_SCHEMA_VERSION } from '../features';
import { resolveConfig, type KeepersConfig } from './config';
import { KeepersModel } from './model';
import { TastePosterior, type PosteriorState } from './posterior';
import { weightSpecs } from './network';
import { base64ToBytes, bytesToBase64 } from './base64';

export { base64ToBytes, bytesToBase64 };

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
  /** The Bayesian head of the default learner (its rows; refactorised on load). Covered by sha256. */
  posterior?: PosteriorState;
}

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('sha256: globalThis.crypto.subtle is not available in this environment');
  const digest = await subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
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
  const posterior = model.posterior?.toState();
  const artifacts: ModelArtifacts = {
    format: ARTIFACT_FORMAT,
    modelVersion: meta.modelVersion,
    parentVersion: meta.parentVersion ?? null,
    createdAt: meta.createdAt ?? new Date().toISOString(),
    featureSchemaVersion: FEATURE_SCHEMA_VERSION,
    config: structuredClone(model.config),
    weightSpecs: specs.map((s) => ({ name: s.name, shape: [...s.shape], dtype: 'float32' as const })),
    weightsBase64: bytesToBase64(bytes),
    sha256: await sha256Hex(signedBytes(bytes, posterior)),
  };
  if (posterior) artifacts.posterior = posterior;
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
  const sha = await sha256Hex(signedBytes(bytes, a.posterior));
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
  const model = KeepersModel.fromValues(config, values, opts.seed);
  if (a.posterior) {
    try {
      model.posterior = TastePosterior.fromState(a.posterior);
    } catch (err) {
      model.dispose();
      throw new Error(`${label}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return model;
}

/** What sha256 covers: the weight bytes, followed by the posterior's JSON when there is one. */
function signedBytes(weights: Uint8Array<ArrayBuffer>, posterior: PosteriorState | undefined): Uint8Array<ArrayBuffer> {
  if (!posterior) return weights;
  const json = new TextEncoder().encode(JSON.stringify(posterior));
  const out = new Uint8Array(weights.length + json.length);
  out.set(weights, 0);
  out.set(json, weights.length);
  return out;
}
