// Scoring releases with the active model: Monte-Carlo predictions and embeddings.
import * as tf from '@tensorflow/tfjs';
import type { KeepersModel, Prediction } from '../shared/model';
import { predict } from '../shared/model';
import { encodeReleases } from '../shared/features';
import type { Release } from '../shared/schemas';

export function predictReleases(model: KeepersModel, releases: Release[], opts: { samples?: number; withEmbedding?: boolean; seed?: number } = {}): Prediction[] {
  if (releases.length === 0) return [];
  return predict(model, encodeReleases(releases), { samples: opts.samples ?? model.config.mcSamples, withEmbedding: opts.withEmbedding, seed: opts.seed });
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

export function describeRelease(r: Release): string {
  const artist = r.artists[0];
  return artist ? `${artist} – ${r.title}` : r.title;
}

/** Changes when enrichment or a page fills in what the features read most (genres, styles, names). */
function cacheKey(r: Release): string {
  return `${r.id}|${r.genres.join(',')}|${r.styles.join(',')}|${r.artists.join(',')}|${r.labels.map((l) => l.name).join(',')}|${r.year ?? ''}`;
}

/**
 * Embeddings of stored records under one model version, kept between requests: the labelled records
 * are embedded again for every batch's reasons otherwise. Cleared when the version changes; bounded.
 */
export class EmbeddingCache {
  private version: string | null = null;
  private readonly byKey = new Map<string, Float32Array>();

  constructor(private readonly maxEntries = 50_000) {}

  get(version: string, model: KeepersModel, releases: Release[]): Float32Array[] {
    if (version !== this.version) {
      this.byKey.clear();
      this.version = version;
    }
    const missing = releases.filter((r) => !this.byKey.has(cacheKey(r)));
    if (missing.length > 0) {
      if (this.byKey.size + missing.length > this.maxEntries) this.byKey.clear();
      embedReleases(model, missing).forEach((e, i) => this.byKey.set(cacheKey(missing[i]!), e));
    }
    return releases.map((r) => this.byKey.get(cacheKey(r)) ?? embedReleases(model, [r])[0]!);
  }
}
