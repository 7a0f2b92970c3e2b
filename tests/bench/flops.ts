// How far scoring is from the machine's arithmetic limit: the floating-point operations one candidate
// costs (counted from the config, so it follows the architecture), and what a large matMul reaches on
// each tfjs backend here (the practical ceiling of that backend's kernels).
import { DEFAULT_CONFIG, initTf, tf, type KeepersConfig } from '../../shared/model';
import { MAX_GENRES, MAX_STYLES, NAME_LENGTH, NUMERIC_FEATURES } from '../../shared/features';
import { median } from './lib';

export interface FlopCount {
  charCnn: number;
  attentionPooling: number;
  mlp: number;
  /** One pass of the dropout head (masks, two dense layers, sigmoid / bounded log-variance). */
  headPass: number;
  /** Encoder once + `samples` head passes: what the product computes per candidate. */
  perCandidate: number;
  /** `samples` full forward passes (encoder every time): the naive way. */
  perCandidateNaive: number;
  samples: number;
}

/** Multiply-adds count 2 FLOPs; element-wise ops 1; exp/sigmoid counted as 1 (they are few). */
export function flopsPerCandidate(c: KeepersConfig = DEFAULT_CONFIG): FlopCount {
  const positions = NAME_LENGTH - c.convWidth + 1;
  // Two names (artist, label): windows · kernel, max over positions, bias, ReLU.
  const charCnn = 2 * (positions * 2 * c.convWidth * c.charEmbeddingDim * c.convFilters + positions * c.convFilters + 2 * c.convFilters);
  // Per slot: score e·a (2d), mask add, softmax (~3), weighted sum (2d).
  const pool = (slots: number, d: number) => slots * (2 * d + 1 + 3 + 2 * d);
  const attentionPooling = pool(MAX_GENRES, c.genreEmbeddingDim) + pool(MAX_STYLES, c.styleEmbeddingDim);
  const input = 2 * c.convFilters + 2 * c.identityEmbeddingDim + c.genreEmbeddingDim + c.styleEmbeddingDim + NUMERIC_FEATURES.length;
  const [h1, h2, h3] = c.hidden;
  const e = c.embeddingDim;
  // Three dense layers (+ bias, ReLU) and the L2 normalisation of the embedding (square, sum, div, scale).
  const mlp = 2 * (input * h1 + h1 * h2 + h2 * e) + 2 * (h1 + h2) + e + 4 * e;
  const headPass = e + 2 * (e * h3 + h3 * 2) + 2 * h3 + h3 + 2 + 4;
  const encoder = charCnn + attentionPooling + mlp;
  const samples = c.mcSamples;
  return { charCnn, attentionPooling, mlp, headPass, perCandidate: encoder + samples * headPass, perCandidateNaive: samples * (encoder + headPass), samples };
}

/** GFLOP/s of an n×n by n×n matMul on the active tfjs backend (median of `runs`). */
export function matMulGflops(n: number, runs: number): number {
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  const times: number[] = [];
  for (let i = -1; i < runs; i++) {
    const t = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    const ms = performance.now() - t;
    c.dispose();
    if (i >= 0) times.push(ms);
  }
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

/** The practical ceiling on Node's backends: matMul GFLOP/s on wasm and cpu. Leaves wasm active. */
export async function nodeCeilings(quick: boolean): Promise<{ wasm: number; cpu: number }> {
  await initTf(['wasm']);
  const wasm = matMulGflops(512, quick ? 3 : 7);
  await tf.setBackend('cpu');
  await tf.ready();
  const cpu = matMulGflops(256, quick ? 2 : 3);
  await initTf(['wasm']);
  return { wasm, cpu };
}
