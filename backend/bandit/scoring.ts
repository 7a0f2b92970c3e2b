// Scoring releases with the active model: Monte-Carlo predictions and embeddings.
import * as tf from '@tensorflow/tfjs';
import type { KeepersModel, Prediction } from '../../shared/model';
import { predict } from '../../shared/model';
import { encodeReleases } from '../../shared/features';
import type { Release } from '../../shared/schemas';

/**
 * `head`: 'auto' (default) scores with the Bayesian posterior when the model has one (the default
 * learner), else Monte-Carlo dropout; 'mc-dropout' always the dropout head (the `seed` policy).
 */
export function predictReleases(
  model: KeepersModel,
  releases: Release[],
  opts: { samples?: number; withEmbedding?: boolean; seed?: number; head?: 'auto' | 'mc-dropout' } = {},
): Prediction[] {
  if (releases.length === 0) return [];
  return predict(model, encodeReleases(releases), { samples: opts.samples ?? model.config.mcSamples, withEmbedding: opts.withEmbedding, seed: opts.seed, head: opts.head });
}

/** L2-normalised embeddings (rows) for cosine / Euclidean neighbour search. */
export function embedReleases(model: KeepersModel, releases: Release[]): Float32Array[] {
  if (releases.length === 0) return [];
  const flat = tf.tidy(() => {
    const e = model.embed(encodeReleases(releases));
    return e.div(e.norm('euclidean', 1, true).add(1e-12)).dataSync() as Float32Array;
  });
  const dim = flat.length / releases.length;
  return releases.map((_, i) => flat.slice(i * dim, (i + 1) * dim));
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Euclidean distance between two unit vectors from their dot product. */
export function unitDistance(a: Float32Array, b: Float32Array): number {
  return Math.sqrt(Math.max(0, 2 - 2 * dot(a, b)));
}

/** Changes when enrichment or a page fills in what the features read most (genres, styles, names). */
function cacheKey(r: Release): string {
  return `${r.id}|${r.genres.join(',')}|${r.styles.join(',')}|${r.artists.join(',')}|${r.labels.map((l) => l.name).join(',')}|${r.year ?? ''}`;
}

/** Versions whose embeddings are kept: the active one and the one before it (requests still holding it). */
const CACHED_VERSIONS = 2;

/**
 * Embeddings of stored records per model version, kept between requests: the labelled records are
 * embedded again for every batch's reasons otherwise. The training worker primes the new version with
 * the labelled records' embeddings (`prime`), so the first batch after an online update finds them here.
 * Bounded per version; older versions are dropped.
 */
export class EmbeddingCache {
  private readonly versions = new Map<string, Map<string, Float32Array>>();

  constructor(private readonly maxEntries = 50_000) {}

  private entries(version: string): Map<string, Float32Array> {
    let byKey = this.versions.get(version);
    if (!byKey) {
      byKey = new Map();
      this.versions.set(version, byKey);
      // Map keeps insertion order: the first key is the oldest version.
      while (this.versions.size > CACHED_VERSIONS) this.versions.delete(this.versions.keys().next().value!);
    }
    return byKey;
  }

  private store(byKey: Map<string, Float32Array>, releases: Release[], embeddings: Float32Array[]): void {
    if (byKey.size + releases.length > this.maxEntries) byKey.clear();
    embeddings.forEach((e, i) => byKey.set(cacheKey(releases[i]!), e));
  }

  get(version: string, model: KeepersModel, releases: Release[]): Float32Array[] {
    const byKey = this.entries(version);
    const missing = releases.filter((r) => !byKey.has(cacheKey(r)));
    if (missing.length > 0) this.store(byKey, missing, embedReleases(model, missing));
    return releases.map((r) => byKey.get(cacheKey(r)) ?? embedReleases(model, [r])[0]!);
  }

  /** Embeddings computed elsewhere (the training worker) for `version`, row i for releases[i]. */
  prime(version: string, releases: Release[], embeddings: Float32Array[]): void {
    if (embeddings.length !== releases.length) throw new Error(`prime: ${embeddings.length} embeddings for ${releases.length} releases`);
    this.store(this.entries(version), releases, embeddings);
  }

  has(version: string, release: Release): boolean {
    return this.versions.get(version)?.has(cacheKey(release)) ?? false;
  }
}
