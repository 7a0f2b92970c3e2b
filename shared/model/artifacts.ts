// Model artifacts: plain JSON (config = topology, base64 float32 weights, metadata) that crosses
// tRPC, SQLite and extension storage unchanged. The sha256 of the weight bytes is computed with
// globalThis.crypto.subtle, so the same code verifies weights in Node and in the browser.
import { FEATURE_SCHEMA_VERSION } from '../features';
import { resolveConfig, type KeepersConfig } from './config';
import { KeepersModel, type AdamState } from './model';
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
  /**
   * Adam's state after the last training step, so an update from stored artifacts continues the same
   * optimiser. Optional: artifacts without it load with a fresh optimiser. Only training reads it, so
   * it carries its own sha256 and a client that only scores may drop the field.
   */
  optimizer?: OptimizerArtifacts;
}

/**
 * Adam's moments, row-sparse: per weight (weightSpecs order) the rows along its first axis whose
 * moments are not all zero (an embedding row no record has looked up has none), as int32, and those
 * rows' first and second moments, as float32, each base64. sha256 covers the JSON of iterations and moments.
 */
export interface OptimizerArtifacts {
  kind: 'adam';
  iterations: number;
  moments: { name: string; rowsBase64: string; firstBase64: string; secondBase64: string }[];
  sha256: string;
}

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error('sha256: globalThis.crypto.subtle is not available in this environment');
  const digest = await subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function saveArtifacts(
  model: KeepersModel,
  meta: {
    modelVersion: string;
    parentVersion?: string | null;
    metrics?: Record<string, number>;
    createdAt?: string;
    /** Store Adam's state (default true, when the model has trained). */
    withOptimizer?: boolean;
  },
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
  const state = meta.withOptimizer === false ? null : model.getOptimizerState();
  if (state) artifacts.optimizer = await encodeOptimizer(state, specs.map((sp) => ({ name: sp.name, shape: sp.shape })));
  return artifacts;
}

const asBase64 = (a: Int32Array | Float32Array) => bytesToBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength) as Uint8Array<ArrayBuffer>);

async function optimizerSha(iterations: number, moments: OptimizerArtifacts['moments']): Promise<string> {
  return sha256Hex(new TextEncoder().encode(JSON.stringify({ iterations, moments })) as Uint8Array<ArrayBuffer>);
}

async function encodeOptimizer(state: AdamState, specs: { name: string; shape: number[] }[]): Promise<OptimizerArtifacts> {
  const moments = specs.map((spec, i) => {
    const first = state.first[i]!;
    const second = state.second[i]!;
    const rowsTotal = spec.shape[0]!;
    const width = first.length / rowsTotal;
    const rows: number[] = [];
    for (let r = 0; r < rowsTotal; r++) {
      for (let k = r * width; k < (r + 1) * width; k++) {
        if (first[k] !== 0 || second[k] !== 0) {
          rows.push(r);
          break;
        }
      }
    }
    const m = new Float32Array(rows.length * width);
    const v = new Float32Array(rows.length * width);
    rows.forEach((r, j) => {
      m.set(first.subarray(r * width, (r + 1) * width), j * width);
      v.set(second.subarray(r * width, (r + 1) * width), j * width);
    });
    return { name: spec.name, rowsBase64: asBase64(Int32Array.from(rows)), firstBase64: asBase64(m), secondBase64: asBase64(v) };
  });
  return { kind: 'adam', iterations: state.iterations, moments, sha256: await optimizerSha(state.iterations, moments) };
}

async function decodeOptimizer(o: OptimizerArtifacts, specs: { name: string; shape: number[] }[], label: string): Promise<AdamState> {
  const bad = (why: string) => new Error(`${label}: optimizer state ${why}`);
  if (o === null || typeof o !== 'object' || o.kind !== 'adam' || !Array.isArray(o.moments)) throw bad('is not an Adam state');
  if (!Number.isInteger(o.iterations) || o.iterations < 0) throw bad(`has iterations ${String(o.iterations)}`);
  if ((await optimizerSha(o.iterations, o.moments)) !== String(o.sha256).toLowerCase()) {
    throw bad('does not match its sha256: it is corrupt or was altered');
  }
  if (o.moments.length !== specs.length) throw bad(`has moments for ${o.moments.length} weights, the config needs ${specs.length}`);
  const first: Float32Array[] = [];
  const second: Float32Array[] = [];
  specs.forEach((spec, i) => {
    const entry = o.moments[i]!;
    if (entry.name !== spec.name) throw bad(`entry ${i} is ${entry.name}, expected ${spec.name}`);
    const size = spec.shape.reduce((x, y) => x * y, 1);
    const rowsTotal = spec.shape[0]!;
    const width = size / rowsTotal;
    let rows: Int32Array;
    let m: Float32Array;
    let v: Float32Array;
    try {
      rows = new Int32Array(base64ToBytes(entry.rowsBase64).slice().buffer);
      m = new Float32Array(base64ToBytes(entry.firstBase64).slice().buffer);
      v = new Float32Array(base64ToBytes(entry.secondBase64).slice().buffer);
    } catch {
      throw bad(`of ${spec.name} is not valid base64 of whole numbers`);
    }
    if (m.length !== rows.length * width || v.length !== rows.length * width) throw bad(`of ${spec.name}: ${rows.length} rows but ${m.length} / ${v.length} values`);
    const fm = new Float32Array(size);
    const fv = new Float32Array(size);
    rows.forEach((r, j) => {
      if (!(r >= 0 && r < rowsTotal)) throw bad(`of ${spec.name} names row ${r}, outside 0..${rowsTotal - 1}`);
      fm.set(m.subarray(j * width, (j + 1) * width), r * width);
      fv.set(v.subarray(j * width, (j + 1) * width), r * width);
    });
    first.push(fm);
    second.push(fv);
  });
  return { iterations: o.iterations, first, second };
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
  const optimizer = a.optimizer ? await decodeOptimizer(a.optimizer, expected, label) : null;
  const model = KeepersModel.fromValues(config, values, opts.seed);
  if (optimizer) model.setOptimizerState(optimizer);
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
