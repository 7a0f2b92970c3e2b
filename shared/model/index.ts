// shared/model: the Discogs Keepers network (char-CNN + attention-pooled genre/style embeddings +
// time/numeric features → MLP → 64-d embedding; MC-dropout bandit head → keep logit + log-variance),
// its combined loss, training step and artifacts. The same code runs on tfjs cpu, wasm and webgl.
export { DEFAULT_CONFIG, resolveConfig, type KeepersConfig } from './config';
export { initTf, patchWasmTransposedMatMul, tf, type BackendName, type InitTfOptions } from './tf';
export { KeepersModel, ENCODE_CHUNK } from './model';
export { predict, posteriorScores, posteriorQuery, PREDICTION_SEED, type Prediction, type PredictOptions } from './predict';
export { TastePosterior, DEFAULT_POSTERIOR, resolvePosteriorConfig, type PosteriorConfig, type PosteriorRow, type PosteriorState } from './posterior';
export { trainStep, lossGradientNorms, type TrainBatch, type LossParts, type Triplet, type TrainStepOptions } from './train';
export {
  saveArtifacts,
  loadArtifacts,
  sha256Hex,
  bytesToBase64,
  base64ToBytes,
  ARTIFACT_FORMAT,
  type ModelArtifacts,
} from './artifacts';
export { weightSpecs } from './network';
export { mulberry32 } from './random';

import type { EncodedReleases } from '../features';
/** A set of encoded records with their 0/1 keeper labels. */
export interface TrainExample {
  enc: EncodedReleases;
  keeper: Float32Array;
}
