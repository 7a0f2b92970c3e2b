// Hashed identity buckets of a record's primary artist and primary label, for the encoder's identity
// embeddings (beside the char-CNN over the same names): a known artist gets a vector of its own, as a
// one-hot feature would in a linear model, while the char-CNN still carries over to unseen names.
// The name is normalised as for the char-CNN (Discogs' " (2)" suffix removed, accents folded,
// lower-cased), hashed with FNV-1a and a per-field prefix, and reduced to 1..IDENTITY_BUCKETS-1.
// 0 means "no name", and looks up a zero vector, exactly like a missing field.
import { normaliseName } from './chars';
import { hashKey } from './identity';

/** Buckets per field (part of the feature schema: changing it changes every id). */
export const IDENTITY_BUCKETS = 4096;

function bucket(prefix: string, name: string | null | undefined): number {
  const key = name ? normaliseName(name) : '';
  if (key === '') return 0;
  return 1 + ((hashKey(`${prefix}:${key}`) >>> 0) % (IDENTITY_BUCKETS - 1));
}

export function artistBucket(name: string | null | undefined): number {
  return bucket('a', name);
}

export function labelBucket(name: string | null | undefined): number {
  return bucket('l', name);
}
