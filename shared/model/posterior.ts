// The Bayesian head of the default learner: exact Bayesian linear regression on the record's features
// φ(x) = [1 | ê(x) (the encoder's L2-normalised 64-d taste embedding) | artist | label | genres |
// styles | era (sparse, unit-norm per group)], written in kernel form:
//
//   k(x, x') = v_bias + v_emb · ê·ê' + Σ_g v_g · cos_g(x, x')      (cos_g: overlap of the group's keys)
//   f ~ GP(m0, k),  y_i = f(x_i) + ε_i,  ε_i ~ N(0, σ² · w_i)      (w_i = 1 for a label, larger for weak rows)
//
// Posterior over f at candidates x*:  mean = m0 + k*ᵀ α,  var = k(x*, x*) − ‖L⁻¹ k*‖²,
// α = C⁻¹ (y − m0),  C = K + σ² diag(w) = L Lᵀ (Cholesky). The cost is n³/3 once per fit (n labelled
// rows, capped by maxRows) and n² per candidate for the variance: exact, unlike a diagonal or hashed
// approximation, and cheaper than the primal form whenever records outnumber the distinct artists,
// labels and styles they carry.
//
// Why this and not Monte-Carlo dropout: the posterior variance is "not seen yet" by construction. It
// shrinks on labelled records and on records that share their artist, label or taste-space
// neighbourhood, and stays at the prior on an unseen artist on an unseen label; MC dropout's spread
// tracks p(1 − p) instead (measured in docs/evaluation).
//
// Thompson sampling draws whole functions by pathwise conditioning (Matheron's rule):
//   f̃(x*) = f₀(x*) + k*ᵀ C⁻¹ (y − m0 − f₀(X) − ε₀),   f₀ = m0 + φ·w, w ~ N(0, prior), ε₀ ~ N(0, σ² w_i)
// which is an exact posterior sample at every candidate jointly for the price of one n² solve; the
// prior sample is explicit because the kernel is an inner product of explicit features (the sparse
// groups draw one Gaussian per key, by hash, so the same key gets the same weight at X and at x*).
import { IDENTITY_GROUPS, sortedCosine as cosine, type IdentityGroup, type IdentityKeys } from '../features/identity';
import { bytesToBase64, base64ToBytes } from './base64';

export interface PosteriorConfig {
  /** Prior mean of f: the keep-probability of a record nothing is known about. */
  priorMean: number;
  /** Observation noise variance σ² of a 0/1 label. */
  noise: number;
  /** Prior variance per feature group (the weight each kind of evidence can carry). */
  variance: { bias: number; embedding: number } & Record<IdentityGroup, number>;
  /** Thompson draws are mean + tsScale · (draw − mean): < 1 narrows exploration to plausible keepers. */
  tsScale: number;
  /** Rows kept in the posterior (the newest labels first, then weak rows); bounds the n³ fit. */
  maxRows: number;
  /**
   * Apply the Platt map fitted on held-out picks to shown probabilities. Off by default: the picks are
   * the records the model liked, so their keeper rate at a score overstates the rate of all records at
   * that score (measured: the map raised ECE on all candidates; docs/evaluation/report.md). The pairs
   * are collected either way and their held-out ECE is reported.
   */
  calibrate: boolean;
  /** Empirical-Bayes steps on the variances after each refit (tunePosterior); 0 keeps them as configured. */
  tuneSteps: number;
  /** Rows (the first ones: the newest labels) the empirical-Bayes steps look at; bounds their n³ cost. */
  tuneRows: number;
}

/**
 * Chosen on the simulator (docs/evaluation/tuning.md: 5 collectors × 2 seeds × 20 batches against lin-ts):
 * prior variance 0.1 per identity group, noise 0.1, prior mean 0.05 and draws at 0.1 of the posterior
 * spread. The encoder's embedding at 0.1 cost 2% against none; at 0.03 with the decade and the
 * style@era / label@era interactions it is level with none. Wider draws (0.3) lost 12%, plain greedy
 * 3%; empirical Bayes of the variances (tuneSteps > 0) lost on the collectors tried.
 */
export const DEFAULT_POSTERIOR: PosteriorConfig = Object.freeze({
  priorMean: 0.05,
  noise: 0.1,
  variance: Object.freeze({ bias: 0.02, embedding: 0.03, artist: 0.1, label: 0.1, genre: 0.1, style: 0.1, era: 0.1, decade: 0.05, styleEra: 0.1, labelEra: 0.05 }),
  tsScale: 0.1,
  maxRows: 1000,
  calibrate: false,
  tuneSteps: 0,
  tuneRows: 300,
}) as PosteriorConfig;

export function resolvePosteriorConfig(overrides: Partial<PosteriorConfig> = {}, base: PosteriorConfig = DEFAULT_POSTERIOR): PosteriorConfig {
  const c: PosteriorConfig = { ...base, ...overrides, variance: { ...base.variance, ...overrides.variance } };
  const problems: string[] = [];
  if (!(c.priorMean >= 0 && c.priorMean <= 1)) problems.push(`priorMean must be in [0, 1], got ${c.priorMean}`);
  if (!(c.noise > 0)) problems.push(`noise must be > 0, got ${c.noise}`);
  for (const [k, v] of Object.entries(c.variance)) if (!(v >= 0)) problems.push(`variance.${k} must be >= 0, got ${v}`);
  if (!(c.tsScale >= 0)) problems.push(`tsScale must be >= 0, got ${c.tsScale}`);
  if (!Number.isInteger(c.maxRows) || c.maxRows < 1) problems.push(`maxRows must be a positive integer, got ${c.maxRows}`);
  if (!Number.isInteger(c.tuneSteps) || c.tuneSteps < 0) problems.push(`tuneSteps must be a non-negative integer, got ${c.tuneSteps}`);
  if (!Number.isInteger(c.tuneRows) || c.tuneRows < 2) problems.push(`tuneRows must be an integer >= 2, got ${c.tuneRows}`);
  if (problems.length > 0) throw new Error(`invalid posterior config: ${problems.join('; ')}`);
  return c;
}

/** One observed row: a record's identity keys and embedding, its target and its noise multiplier. */
export interface PosteriorRow {
  keys: IdentityKeys;
  /** L2-normalised encoder embedding. */
  embedding: Float32Array;
  /** 1 keeper, 0 not a keeper (a weak row may carry the prior instead). */
  y: number;
  /** Noise multiplier w (1 = an explicit label; larger = weaker evidence, e.g. an unlabelled record). */
  weight: number;
}

/** The posterior as plain JSON (inside model artifacts): the rows, not the factorisation. */
export interface PosteriorState {
  config: PosteriorConfig;
  dim: number;
  y: number[];
  weight: number[];
  /** Per row, per group: the hashed keys. */
  keys: Record<IdentityGroup, number[]>[];
  /** Float32 [n × dim], base64. */
  embeddingsBase64: string;
  /** Held-out predictions and the Platt map fitted on them (see Calibration); absent = identity. */
  calibration?: Calibration;
}

// ---- Calibration: shown probabilities that mean what they say ---------------------------------------
// The posterior mean is a least-squares estimate of P(keep); measured on every candidate its ECE over
// batches 10–49 is 0.02–0.04 on four collectors, 0.07 on the keeper-rich one (docs/evaluation/report.md). Each
// batch's picks are scored *before* their labels are learned (held-out by construction) and kept as
// (score, label) pairs; a Platt map p = σ(a · logit(score) + b) is fitted on them (damped Newton, a
// ridge toward the identity worth CALIBRATION_PRIOR pairs, a ≥ MIN_SLOPE so ranking never turns).
// It is applied only with config.calibrate: the pairs are the picks, whose keeper rate at a given
// score overstates that of all records, and applied to every candidate the map made ECE worse.

export interface Calibration {
  /** Held-out scores (raw posterior means) and their labels, newest last; at most CALIBRATION_PAIRS. */
  scores: number[];
  labels: number[];
  a: number;
  b: number;
}

export const CALIBRATION_PAIRS = 1000;
/** The map's slope never goes below this: it may flatten scores, never reverse them. */
const MIN_SLOPE = 0.05;
export const CALIBRATION_PRIOR = 50;
const EPS = 1e-3;
const logit = (p: number) => Math.log(Math.min(1 - EPS, Math.max(EPS, p)) / (1 - Math.min(1 - EPS, Math.max(EPS, p))));

/** Fits the Platt map to held-out pairs (identity without any). */
export function fitCalibration(scores: number[], labels: number[]): Calibration {
  const keep = Math.max(0, scores.length - CALIBRATION_PAIRS);
  const xs = scores.slice(keep);
  const ys = labels.slice(keep);
  const zs = xs.map(logit);
  const lambda = CALIBRATION_PRIOR;
  // Σ logloss(σ(a·z + b), y) + λ/2 ((a − 1)² + b²): convex; damped Newton with backtracking so a step
  // never makes it worse, and a kept ≥ MIN_SLOPE so the map can never turn the ranking around.
  const objective = (a: number, b: number) => {
    let f = (lambda / 2) * ((a - 1) ** 2 + b ** 2);
    for (let i = 0; i < zs.length; i++) {
      const t = a * zs[i]! + b;
      // log(1 + e^t) − y·t, stable for large |t|.
      f += Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t))) - ys[i]! * t;
    }
    return f;
  };
  let a = 1;
  let b = 0;
  let current = objective(a, b);
  for (let iter = 0; iter < 30 && zs.length > 0; iter++) {
    let ga = lambda * (a - 1);
    let gb = lambda * b;
    let haa = lambda;
    let hab = 0;
    let hbb = lambda;
    for (let i = 0; i < zs.length; i++) {
      const z = zs[i]!;
      const p = 1 / (1 + Math.exp(-(a * z + b)));
      const r = p - ys[i]!;
      const w = p * (1 - p);
      ga += r * z;
      gb += r;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    const det = haa * hbb - hab * hab;
    if (!(det > 1e-12)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    let moved = false;
    for (let k = 0; k < 30; k++, step /= 2) {
      const na = Math.max(MIN_SLOPE, a - step * da);
      const nb = b - step * db;
      const f = objective(na, nb);
      if (f < current) {
        a = na;
        b = nb;
        current = f;
        moved = true;
        break;
      }
    }
    if (!moved || Math.abs(step * da) + Math.abs(step * db) < 1e-7) break;
  }
  return { scores: xs, labels: ys, a, b };
}

export function applyCalibration(c: Calibration | undefined, score: number): number {
  if (!c) return score;
  return 1 / (1 + Math.exp(-(c.a * logit(score) + c.b)));
}

/** A standard normal per (draw seed, group, key): the same key gets the same prior weight everywhere. */
function keyGaussian(seed: number, group: number, key: number): number {
  let h = (seed ^ Math.imul(group + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ key, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  const u1 = ((h ^ (h >>> 16)) >>> 0) / 4294967296 + 1 / 8589934592;
  h = Math.imul(h ^ 0x27d4eb2f, 0x165667b1) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  const u2 = ((h ^ (h >>> 16)) >>> 0) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

export interface QuerySet {
  keys: IdentityKeys[];
  /** L2-normalised embeddings, [n × dim]. */
  embeddings: Float32Array;
}

export class TastePosterior {
  readonly config: PosteriorConfig;
  readonly dim: number;
  private readonly rows: PosteriorRow[];
  /** Cholesky factor of C, row-major n × n (lower). */
  private readonly chol: Float64Array;
  /** C⁻¹ (y − m0). */
  private readonly alpha: Float64Array;

  /** Row embeddings, [n × dim] row-major. */
  private readonly rowEmbeddings: Float64Array;
  /** Per identity group: key → the rows holding it, with each row's weight 1/√(its key count). */
  private readonly postings: Map<number, { rows: number[]; weights: number[] }>[];

  private constructor(rows: PosteriorRow[], dim: number, config: PosteriorConfig) {
    this.rows = rows;
    this.dim = dim;
    this.config = config;
    const n = rows.length;
    this.rowEmbeddings = new Float64Array(n * dim);
    rows.forEach((r, i) => this.rowEmbeddings.set(r.embedding, i * dim));
    this.postings = IDENTITY_GROUPS.map((g) => {
      const byKey = new Map<number, { rows: number[]; weights: number[] }>();
      rows.forEach((r, j) => {
        const ks = r.keys[g];
        const w = 1 / Math.sqrt(ks.length);
        for (const key of ks) {
          let p = byKey.get(key);
          if (!p) byKey.set(key, (p = { rows: [], weights: [] }));
          p.rows.push(j);
          p.weights.push(w);
        }
      });
      return byKey;
    });
    const flat = new Float32Array(n * dim);
    rows.forEach((r, i) => flat.set(r.embedding, i * dim));
    const c = this.crossKernel({ keys: rows.map((r) => r.keys), embeddings: flat });
    for (let i = 0; i < n; i++) c[i * n + i] = c[i * n + i]! + config.noise * rows[i]!.weight;
    this.chol = cholesky(c, n);
    const r = Float64Array.from(rows, (row) => row.y - config.priorMean);
    this.alpha = solveUpper(this.chol, n, solveLower(this.chol, n, r));
  }

  /** Fits the posterior to `rows` (the caller orders them by priority: the first maxRows are kept). */
  static fit(rows: PosteriorRow[], config: Partial<PosteriorConfig> = {}, calibration?: Calibration): TastePosterior {
    const c = resolvePosteriorConfig(config);
    const kept = rows.slice(0, c.maxRows);
    const dim = kept[0]?.embedding.length ?? 0;
    for (const [i, r] of kept.entries()) {
      if (r.embedding.length !== dim) throw new Error(`posterior row ${i}: embedding has ${r.embedding.length} values, expected ${dim}`);
      if (!Number.isFinite(r.y)) throw new Error(`posterior row ${i}: target is ${r.y}`);
      if (!(r.weight > 0)) throw new Error(`posterior row ${i}: weight must be > 0, got ${r.weight}`);
    }
    const p = new TastePosterior(kept, dim, c);
    p.calibration = calibration;
    return p;
  }

  static fromState(s: PosteriorState): TastePosterior {
    const config = resolvePosteriorConfig(s.config);
    const n = s.y.length;
    if (s.weight.length !== n || s.keys.length !== n) throw new Error(`posterior state: ${n} targets, ${s.weight.length} weights, ${s.keys.length} key sets`);
    const bytes = base64ToBytes(s.embeddingsBase64);
    if (bytes.length !== n * s.dim * 4) throw new Error(`posterior state: embeddings are ${bytes.length} bytes, expected ${n * s.dim * 4}`);
    const flat = new Float32Array(bytes.slice().buffer);
    const rows: PosteriorRow[] = s.y.map((y, i) => ({
      y,
      weight: s.weight[i]!,
      embedding: flat.slice(i * s.dim, (i + 1) * s.dim),
      keys: Object.fromEntries(IDENTITY_GROUPS.map((g) => [g, Int32Array.from(s.keys[i]![g] ?? [])])) as IdentityKeys,
    }));
    const p = new TastePosterior(rows, s.dim, config);
    if (s.calibration) {
      const { scores, labels } = s.calibration;
      if (!Array.isArray(scores) || !Array.isArray(labels) || scores.length !== labels.length) throw new Error('posterior state: calibration scores and labels differ in length');
      p.calibration = fitCalibration(scores, labels);
    }
    return p;
  }

  /** Held-out pairs and the Platt map applied to shown probabilities (undefined = identity). */
  calibration: Calibration | undefined = undefined;

  /** The shown keep-probability for a raw posterior mean (the Platt map only when config.calibrate). */
  calibrate(mean: number): number {
    return this.config.calibrate ? applyCalibration(this.calibration, mean) : mean;
  }

  toState(): PosteriorState {
    const flat = new Float32Array(this.rows.length * this.dim);
    this.rows.forEach((r, i) => flat.set(r.embedding, i * this.dim));
    return {
      config: structuredClone(this.config),
      dim: this.dim,
      y: this.rows.map((r) => r.y),
      weight: this.rows.map((r) => r.weight),
      keys: this.rows.map((r) => Object.fromEntries(IDENTITY_GROUPS.map((g) => [g, Array.from(r.keys[g])])) as Record<IdentityGroup, number[]>),
      embeddingsBase64: bytesToBase64(new Uint8Array(flat.buffer)),
      ...(this.calibration ? { calibration: structuredClone(this.calibration) } : {}),
    };
  }

  /** Rows the posterior was fitted on. */
  get size(): number {
    return this.rows.length;
  }

  /** Explicit labels among the rows (weight 1). */
  get labelCount(): number {
    return this.rows.reduce((n, r) => n + (r.weight === 1 ? 1 : 0), 0);
  }

  private kernel(ka: IdentityKeys, ea: Float32Array, oa: number, kb: IdentityKeys, eb: Float32Array, ob: number): number {
    const v = this.config.variance;
    let dot = 0;
    for (let d = 0; d < this.dim; d++) dot += ea[oa + d]! * eb[ob + d]!;
    let s = v.bias + v.embedding * dot;
    for (const g of IDENTITY_GROUPS) if (v[g] > 0) s += v[g] * cosine(ka[g], kb[g]);
    return s;
  }

  /** Prior variance k(x, x) of a record. */
  private selfKernel(k: IdentityKeys, e: Float32Array, o: number): number {
    return this.kernel(k, e, o, k, e, o);
  }

  /**
   * K(queries, rows), row-major [m × n]: the bias and the embedding dot products densely, the identity
   * groups through each group's postings (a query touches only the rows that share one of its keys).
   */
  private crossKernel(q: QuerySet): Float64Array {
    const m = q.keys.length;
    const n = this.rows.length;
    const dim = this.dim;
    const v = this.config.variance;
    const out = new Float64Array(m * n);
    const e = this.rowEmbeddings;
    const qe = q.embeddings;
    const query = new Float64Array(dim);
    const dense = v.embedding > 0 && dim > 0;
    const tail = dim - (dim % 4);
    for (let i = 0; i < m; i++) {
      const base = i * n;
      if (!dense) {
        out.fill(v.bias, base, base + n);
      } else {
        for (let d = 0; d < dim; d++) query[d] = v.embedding * qe[i * dim + d]!;
        for (let j = 0; j < n; j++) {
          // Four running sums: independent multiply-adds the CPU can overlap (≈2× over one sum).
          let a0 = 0;
          let a1 = 0;
          let a2 = 0;
          let a3 = 0;
          const o = j * dim;
          for (let d = 0; d < tail; d += 4) {
            a0 += query[d]! * e[o + d]!;
            a1 += query[d + 1]! * e[o + d + 1]!;
            a2 += query[d + 2]! * e[o + d + 2]!;
            a3 += query[d + 3]! * e[o + d + 3]!;
          }
          for (let d = tail; d < dim; d++) a0 += query[d]! * e[o + d]!;
          out[base + j] = v.bias + (a0 + a1) + (a2 + a3);
        }
      }
      const keys = q.keys[i]!;
      IDENTITY_GROUPS.forEach((g, gi) => {
        const ks = keys[g];
        if (ks.length === 0 || v[g] === 0) return;
        const scale = v[g] / Math.sqrt(ks.length);
        const postings = this.postings[gi]!;
        for (const key of ks) {
          const p = postings.get(key);
          if (!p) continue;
          for (let t = 0; t < p.rows.length; t++) out[base + p.rows[t]!] = out[base + p.rows[t]!]! + scale * p.weights[t]!;
        }
      });
    }
    return out;
  }

  private checkQuery(q: QuerySet): void {
    if (q.embeddings.length !== q.keys.length * this.dim && this.dim > 0) {
      throw new Error(`posterior query: ${q.embeddings.length} embedding values for ${q.keys.length} records of dimension ${this.dim}`);
    }
  }

  /**
   * Posterior mean and standard deviation of f at each query. `withStd: false` skips the variance
   * (n² per query), for callers that only rank.
   */
  predict(q: QuerySet, opts: { withStd?: boolean } = {}): { mean: Float64Array; std: Float64Array; cross: Float64Array } {
    this.checkQuery(q);
    const m = q.keys.length;
    const n = this.rows.length;
    const cross = this.crossKernel(q);
    const mean = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      let s = this.config.priorMean;
      for (let j = 0; j < n; j++) s += cross[i * n + j]! * this.alpha[j]!;
      mean[i] = s;
    }
    const std = new Float64Array(m);
    if (opts.withStd !== false) {
      // V = L⁻¹ K(rows, queries), one forward substitution over all queries at once ([n × m], row-major).
      const v = new Float64Array(n * m);
      for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) v[i * m + j] = cross[j * n + i]!;
      for (let i = 0; i < n; i++) {
        const row = i * m;
        for (let k = 0; k < i; k++) {
          const l = this.chol[i * n + k]!;
          if (l === 0) continue;
          const other = k * m;
          for (let j = 0; j < m; j++) v[row + j] = v[row + j]! - l * v[other + j]!;
        }
        const d = this.chol[i * n + i]!;
        for (let j = 0; j < m; j++) v[row + j] = v[row + j]! / d;
      }
      for (let j = 0; j < m; j++) {
        let explained = 0;
        for (let i = 0; i < n; i++) explained += v[i * m + j]! ** 2;
        std[j] = Math.sqrt(Math.max(0, this.selfKernel(q.keys[j]!, q.embeddings, j * this.dim) - explained));
      }
    }
    return { mean, std, cross };
  }

  /**
   * `draws` posterior samples of f at every query, each scaled toward the mean by tsScale
   * (Thompson sampling). `cross` and `mean` from predict() are reused when given.
   */
  thompson(q: QuerySet, draws: number, seed: number, given?: { mean: Float64Array; cross: Float64Array }): Float64Array[] {
    this.checkQuery(q);
    const { mean, cross } = given ?? this.predict(q, { withStd: false });
    const m = q.keys.length;
    const n = this.rows.length;
    const v = this.config.variance;
    const sd = Math.sqrt(this.config.noise);
    const out: Float64Array[] = [];
    for (let t = 0; t < draws; t++) {
      const drawSeed = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(t + 1, 0x85ebca6b)) >>> 0;
      const embW = new Float64Array(this.dim);
      for (let d = 0; d < this.dim; d++) embW[d] = keyGaussian(drawSeed, 99, d);
      const biasW = keyGaussian(drawSeed, 98, 0);
      const prior = (keys: IdentityKeys, e: Float32Array, o: number): number => {
        let s = Math.sqrt(v.bias) * biasW;
        let dot = 0;
        for (let d = 0; d < this.dim; d++) dot += e[o + d]! * embW[d]!;
        s += Math.sqrt(v.embedding) * dot;
        IDENTITY_GROUPS.forEach((g, gi) => {
          const ks = keys[g];
          if (ks.length === 0 || v[g] === 0) return;
          let sum = 0;
          for (const key of ks) sum += keyGaussian(drawSeed, gi, key);
          s += Math.sqrt(v[g] / ks.length) * sum;
        });
        return s;
      };
      // Residual of the prior draw at the rows, with its own noise draw.
      const r = new Float64Array(n);
      for (let j = 0; j < n; j++) {
        const row = this.rows[j]!;
        const eps = sd * Math.sqrt(row.weight) * keyGaussian(drawSeed, 97, j);
        r[j] = row.y - this.config.priorMean - prior(row.keys, row.embedding, 0) - eps;
      }
      const beta = solveUpper(this.chol, n, solveLower(this.chol, n, r));
      const sample = new Float64Array(m);
      for (let i = 0; i < m; i++) {
        let s = this.config.priorMean + prior(q.keys[i]!, q.embeddings, i * this.dim);
        for (let j = 0; j < n; j++) s += cross[i * n + j]! * beta[j]!;
        sample[i] = mean[i]! + this.config.tsScale * (s - mean[i]!);
      }
      out.push(sample);
    }
    return out;
  }
}

/** Cholesky factor of a symmetric positive-definite matrix (row-major, lower). */
export function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j <= i; j++) {
      const rj = j * n;
      // Row i · row j over the first j columns, with four running sums (independent multiply-adds).
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      const end = j - (j % 4);
      for (let k = 0; k < end; k += 4) {
        s0 += l[ri + k]! * l[rj + k]!;
        s1 += l[ri + k + 1]! * l[rj + k + 1]!;
        s2 += l[ri + k + 2]! * l[rj + k + 2]!;
        s3 += l[ri + k + 3]! * l[rj + k + 3]!;
      }
      for (let k = end; k < j; k++) s0 += l[ri + k]! * l[rj + k]!;
      const s = a[ri + j]! - ((s0 + s1) + (s2 + s3));
      l[ri + j] = i === j ? Math.sqrt(Math.max(s, 1e-10)) : s / l[rj + j]!;
    }
  }
  return l;
}

/** Solves L x = y. */
export function solveLower(l: Float64Array, n: number, y: Float64Array): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = y[i]!;
    const ri = i * n;
    for (let k = 0; k < i; k++) s -= l[ri + k]! * x[k]!;
    x[i] = s / l[ri + i]!;
  }
  return x;
}

/** Solves Lᵀ x = y. */
export function solveUpper(l: Float64Array, n: number, y: Float64Array): Float64Array {
  const x = Float64Array.from(y);
  for (let i = n - 1; i >= 0; i--) {
    x[i] = x[i]! / l[i * n + i]!;
    const xi = x[i]!;
    const ri = i * n;
    for (let k = 0; k < i; k++) x[k] = x[k]! - l[ri + k]! * xi;
  }
  return x;
}

// ---- Empirical Bayes: the weight of each kind of evidence, fitted to this collector ------------------
// Collectors differ in what their taste follows (one keeps a label's catalogue, another a style across
// labels, a third an era). The group variances and the noise are therefore fitted to the collector's
// own labels at run time by maximising the log marginal likelihood (type-II maximum likelihood), under
// a log-normal hyperprior centred on the configured values (so a handful of labels cannot push them
// far):   max_φ  log N(y − m0 | 0, C(φ)) − Σ_k (φ_k − φ0_k)² / (2 s²),   φ = log variances, s = HYPER_SD.
// Gradient: ∂/∂φ_g = ½ θ_g (αᵀ K_g α − tr(C⁻¹ K_g)) − (φ_g − φ0_g) / s², α = C⁻¹ r.
// Nothing is learned ahead of time or shipped: every number comes from the collector's labels.

/** Hyperprior: one standard deviation = a factor e around the configured variance. */
export const HYPER_SD = 1;
/** Variance groups tuned (bias, the embedding, each identity group) plus the noise. */
const TUNED: Array<'bias' | 'embedding' | IdentityGroup> = ['bias', 'embedding', ...IDENTITY_GROUPS];

/** Per-group unscaled kernel matrices of `rows` (n × n each, bias = all ones), in TUNED order. */
function groupKernels(rows: PosteriorRow[]): Float64Array[] {
  const n = rows.length;
  const dim = rows[0]?.embedding.length ?? 0;
  return TUNED.map((g) => {
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        let v: number;
        if (g === 'bias') v = 1;
        else if (g === 'embedding') {
          v = 0;
          const a = rows[i]!.embedding;
          const b = rows[j]!.embedding;
          for (let d = 0; d < dim; d++) v += a[d]! * b[d]!;
        } else v = cosine(rows[i]!.keys[g], rows[j]!.keys[g]);
        k[i * n + j] = v;
        k[j * n + i] = v;
      }
    }
    return k;
  });
}

/** Inverse of a symmetric positive-definite matrix from its Cholesky factor. */
function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  // L⁻¹ by forward substitution, column by column (lower triangular).
  const li = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    li[c * n + c] = 1 / l[c * n + c]!;
    for (let i = c + 1; i < n; i++) {
      let s = 0;
      for (let k = c; k < i; k++) s -= l[i * n + k]! * li[k * n + c]!;
      li[i * n + c] = s / l[i * n + i]!;
    }
  }
  // C⁻¹ = L⁻ᵀ L⁻¹.
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += li[k * n + i]! * li[k * n + j]!;
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

export interface TuneResult {
  config: PosteriorConfig;
  /** Log marginal likelihood (with the hyperprior) before and after. */
  before: number;
  after: number;
}

/**
 * Fits the group variances and the noise to `rows` (at most `maxRows` of them, the first ones) by a few
 * normalised gradient steps on the penalised log marginal likelihood, starting from `start` (the previous
 * fit) with the hyperprior centred on `centre` (the configured values). Groups configured at 0 stay off.
 */
export function tunePosterior(rows: PosteriorRow[], start: PosteriorConfig, centre: PosteriorConfig, opts: { steps?: number; maxRows?: number } = {}): TuneResult {
  const kept = rows.slice(0, opts.maxRows ?? 300);
  const n = kept.length;
  const steps = opts.steps ?? 6;
  if (n < 2) return { config: start, before: NaN, after: NaN };
  const kernels = groupKernels(kept);
  const r = Float64Array.from(kept, (row) => row.y - start.priorMean);
  const w = Float64Array.from(kept, (row) => row.weight);
  const active = TUNED.map((g) => centre.variance[g] > 0);
  const phi = TUNED.map((g, i) => (active[i] ? Math.log(Math.max(start.variance[g], 1e-6)) : -Infinity));
  const phi0 = TUNED.map((g, i) => (active[i] ? Math.log(centre.variance[g]) : -Infinity));
  let phiNoise = Math.log(start.noise);
  const phiNoise0 = Math.log(centre.noise);

  const evaluate = (withGradient: boolean) => {
    const c = new Float64Array(n * n);
    TUNED.forEach((_, gi) => {
      if (!active[gi]) return;
      const theta = Math.exp(phi[gi]!);
      const k = kernels[gi]!;
      for (let t = 0; t < n * n; t++) c[t] = c[t]! + theta * k[t]!;
    });
    const noise = Math.exp(phiNoise);
    for (let i = 0; i < n; i++) c[i * n + i] = c[i * n + i]! + noise * w[i]!;
    const l = cholesky(c, n);
    const alpha = solveUpper(l, n, solveLower(l, n, r));
    let logDet = 0;
    for (let i = 0; i < n; i++) logDet += 2 * Math.log(l[i * n + i]!);
    let fit = 0;
    for (let i = 0; i < n; i++) fit += r[i]! * alpha[i]!;
    let penalty = ((phiNoise - phiNoise0) / HYPER_SD) ** 2 / 2;
    TUNED.forEach((_, gi) => {
      if (active[gi]) penalty += ((phi[gi]! - phi0[gi]!) / HYPER_SD) ** 2 / 2;
    });
    const value = -0.5 * fit - 0.5 * logDet - penalty;
    if (!withGradient) return { value, grad: null };
    const inv = inverseFromCholesky(l, n);
    const grad = TUNED.map((_, gi) => {
      if (!active[gi]) return 0;
      const k = kernels[gi]!;
      let quad = 0;
      let trace = 0;
      for (let i = 0; i < n; i++) {
        let ki = 0;
        for (let j = 0; j < n; j++) {
          ki += k[i * n + j]! * alpha[j]!;
          trace += inv[i * n + j]! * k[i * n + j]!;
        }
        quad += alpha[i]! * ki;
      }
      return 0.5 * Math.exp(phi[gi]!) * (quad - trace) - (phi[gi]! - phi0[gi]!) / HYPER_SD ** 2;
    });
    let quadW = 0;
    let traceW = 0;
    for (let i = 0; i < n; i++) {
      quadW += alpha[i]! * alpha[i]! * w[i]!;
      traceW += inv[i * n + i]! * w[i]!;
    }
    const gradNoise = 0.5 * noise * (quadW - traceW) - (phiNoise - phiNoise0) / HYPER_SD ** 2;
    return { value, grad: [...grad, gradNoise] };
  };

  const first = evaluate(true);
  let current = first;
  let step = 0.5;
  for (let s = 0; s < steps && current.grad; s++) {
    // A step of at most `step` in log space along the gradient's direction; halved when it does not help.
    const g = current.grad;
    const norm = Math.sqrt(g.reduce((a, b) => a + b * b, 0)) || 1;
    const savedPhi = phi.slice();
    const savedNoise = phiNoise;
    TUNED.forEach((_, gi) => {
      if (active[gi]) phi[gi] = phi[gi]! + (step * g[gi]!) / norm;
    });
    phiNoise += (step * g[TUNED.length]!) / norm;
    const next = evaluate(true);
    if (next.value >= current.value) current = next;
    else {
      phi.splice(0, phi.length, ...savedPhi);
      phiNoise = savedNoise;
      step /= 2;
    }
  }
  const variance = { ...start.variance };
  TUNED.forEach((g, gi) => {
    variance[g] = active[gi] ? Math.exp(phi[gi]!) : 0;
  });
  return { config: { ...start, variance, noise: Math.exp(phiNoise) }, before: first.value, after: current.value };
}
