// Evaluation metrics shared by the backend (metrics.summary, model promotion) and the simulator.
// Plain arrays in, plain numbers out; inputs are checked so a silent length mismatch cannot skew a report.

/** Labels may be 0/1 numbers (typed arrays too) or booleans. */
export type Labels = ArrayLike<number | boolean>;

function checkPairs(what: string, probs: ArrayLike<number>, labels: Labels): void {
  if (probs.length !== labels.length) {
    throw new RangeError(`${what}: ${probs.length} predictions but ${labels.length} labels`);
  }
}

function label01(labels: Labels, i: number, what: string): 0 | 1 {
  const v = labels[i];
  if (v === true || v === 1) return 1;
  if (v === false || v === 0) return 0;
  throw new RangeError(`${what}: label ${i} must be 0, 1, true or false, got ${String(v)}`);
}

function probability(probs: ArrayLike<number>, i: number, what: string): number {
  const p = probs[i]!;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`${what}: probability ${i} must be in [0, 1], got ${String(p)}`);
  return p;
}

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean predicted probability in the bin; 0 when count is 0. */
  meanProb: number;
  /** Share of positives in the bin; 0 when count is 0. */
  fracPositive: number;
}

/**
 * Equal-width bins over [0, 1]; bin k holds lo ≤ p < hi, the last bin also holds p = 1.
 * Every bin is returned, empty ones with count 0, so plots keep a fixed axis.
 */
export function reliabilityBins(probs: ArrayLike<number>, labels: Labels, bins = 10): ReliabilityBin[] {
  checkPairs('reliabilityBins', probs, labels);
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`reliabilityBins: bins must be a positive integer, got ${bins}`);
  const count = new Array<number>(bins).fill(0);
  const sumProb = new Array<number>(bins).fill(0);
  const positives = new Array<number>(bins).fill(0);
  for (let i = 0; i < probs.length; i++) {
    const p = probability(probs, i, 'reliabilityBins');
    const y = label01(labels, i, 'reliabilityBins');
    const k = Math.min(bins - 1, Math.floor(p * bins));
    count[k]!++;
    sumProb[k]! += p;
    positives[k]! += y;
  }
  return count.map((n, k) => ({
    lo: k / bins,
    hi: (k + 1) / bins,
    count: n,
    meanProb: n === 0 ? 0 : sumProb[k]! / n,
    fracPositive: n === 0 ? 0 : positives[k]! / n,
  }));
}

/** Expected calibration error: Σ_bins (n_bin / N) · |fracPositive − meanProb|. 0 for no predictions. */
export function ece(probs: ArrayLike<number>, labels: Labels, bins = 10): number {
  const table = reliabilityBins(probs, labels, bins);
  const total = probs.length;
  if (total === 0) return 0;
  return table.reduce((sum, b) => sum + (b.count / total) * Math.abs(b.fracPositive - b.meanProb), 0);
}

/**
 * Area under the ROC curve = probability that a random positive scores above a random negative
 * (Mann–Whitney U with average ranks, so ties count one half). null when one class is absent.
 */
export function auc(scores: ArrayLike<number>, labels: Labels): number | null {
  checkPairs('auc', scores, labels);
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(scores[i]!)) throw new RangeError(`auc: score ${i} must be a finite number, got ${String(scores[i])}`);
  }
  order.sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSumPositives = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    const averageRank = (start + end) / 2 + 1; // ranks are 1-based
    for (let j = start; j <= end; j++) {
      if (label01(labels, order[j]!, 'auc') === 1) {
        positives++;
        rankSumPositives += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSumPositives - (positives * (positives + 1)) / 2) / (positives * negatives);
}

function euclidean(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum);
}

function checkVectors(what: string, vectors: ArrayLike<ArrayLike<number>>): void {
  const dim = vectors[0]?.length ?? 0;
  for (let i = 0; i < vectors.length; i++) {
    if (vectors[i]!.length !== dim) throw new RangeError(`${what}: vector ${i} has ${vectors[i]!.length} dimensions, vector 0 has ${dim}`);
  }
}

/**
 * Mean silhouette coefficient (euclidean) of a labelling, in [-1, 1]: for each point,
 * (b − a) / max(a, b) with a = mean distance to its own cluster, b = mean distance to the nearest other cluster.
 * Points alone in their cluster count 0 (as in scikit-learn). null with fewer than 2 clusters (undefined there).
 */
export function silhouette(embeddings: ArrayLike<ArrayLike<number>>, labels: ArrayLike<number>): number | null {
  checkPairs('silhouette', { length: embeddings.length }, labels);
  checkVectors('silhouette', embeddings);
  const n = embeddings.length;
  const clusters = [...new Set(Array.from(labels))];
  if (clusters.length < 2) return null;
  const clusterIndex = new Map(clusters.map((c, k) => [c, k]));
  const sizes = new Array<number>(clusters.length).fill(0);
  for (let i = 0; i < n; i++) sizes[clusterIndex.get(labels[i]!)!]!++;

  // distanceSums[i][k] = Σ distance from point i to the points of cluster k
  const distanceSums = Array.from({ length: n }, () => new Array<number>(clusters.length).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const d = euclidean(embeddings[i]!, embeddings[j]!);
      distanceSums[i]![clusterIndex.get(labels[j]!)!]! += d;
      distanceSums[j]![clusterIndex.get(labels[i]!)!]! += d;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    const own = clusterIndex.get(labels[i]!)!;
    if (sizes[own]! <= 1) continue;
    const a = distanceSums[i]![own]! / (sizes[own]! - 1);
    let b = Infinity;
    for (let k = 0; k < clusters.length; k++) {
      if (k !== own) b = Math.min(b, distanceSums[i]![k]! / sizes[k]!);
    }
    const denominator = Math.max(a, b);
    total += denominator === 0 ? 0 : (b - a) / denominator;
  }
  return total / n;
}

/** Mean euclidean distance over all pairs (batch diversity); 0 with fewer than 2 vectors. */
export function meanPairwiseDistance(vectors: ArrayLike<ArrayLike<number>>): number {
  checkVectors('meanPairwiseDistance', vectors);
  const n = vectors.length;
  if (n < 2) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) sum += euclidean(vectors[i]!, vectors[j]!);
  return sum / ((n * (n - 1)) / 2);
}

/** ln Γ(x), Lanczos approximation (g = 7, 9 terms): ~15 significant digits for x > 0. */
function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularised incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with df degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = (t * t) / (df + t * t);
  // Near t = 0 the tail form would subtract from 1 and lose digits: use P(|T| ≤ |t|) = I_x(1/2, df/2) there.
  if (x < 0.5) return 0.5 + 0.5 * Math.sign(t) * incompleteBeta(x, 0.5, df / 2);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The q-quantile of Student's t (bisection on the CDF; |error| < 1e-12). */
export function studentTQuantile(q: number, df: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`studentTQuantile: q must be in (0, 1), got ${q}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be positive, got ${df}`);
  let lo = -1e6;
  let hi = 1e6;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Mean with a two-sided 95% t-interval: mean ± t(0.975, n − 1) · s / √n (s = sample standard deviation).
 * One value says nothing about spread: lo = −∞, hi = +∞. Throws on no values or non-finite values.
 */
export function meanCI95(values: ArrayLike<number>): { mean: number; lo: number; hi: number; n: number } {
  const n = values.length;
  if (n === 0) throw new RangeError('meanCI95: needs at least one value');
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i]!)) throw new RangeError(`meanCI95: value ${i} must be a finite number, got ${String(values[i])}`);
    sum += values[i]!;
  }
  const mean = sum / n;
  if (n === 1) return { mean, lo: -Infinity, hi: Infinity, n };
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  const halfWidth = studentTQuantile(0.975, n - 1) * Math.sqrt(squares / (n - 1) / n);
  return { mean, lo: mean - halfWidth, hi: mean + halfWidth, n };
}
