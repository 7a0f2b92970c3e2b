// Types shared by the importers (the public contract is re-exported from ./index).
import type { Release } from '../schemas';

export type ImportFormat = 'collection-csv' | 'api-json' | 'releases-jsonl' | 'dump-xml' | 'keepers-jsonl';

export const IMPORT_FORMATS: readonly ImportFormat[] = ['collection-csv', 'api-json', 'releases-jsonl', 'dump-xml', 'keepers-jsonl'];

export type ListKind = 'collection' | 'wantlist' | null;

export interface ImportedItem {
  /** 1-based line in the (decompressed) file where the record starts. */
  line: number;
  release: Release;
  listKind: ListKind;
  dateAdded: string | null;
  /** The user's own rating, 1–5; 0 / missing → null. */
  rating: number | null;
}

export interface ImportProblem {
  file: string;
  line: number;
  message: string;
}

export interface ImportSink {
  /** Writes one chunk in one transaction, together with the checkpoint (the sink's job). */
  writeChunk(items: ImportedItem[], checkpoint: { recordsDone: number }): Promise<void>;
  /** Records committed by an earlier interrupted run of the same file; the importer skips that many. */
  resumeFrom(): Promise<number>;
}

export interface ImportProgress {
  bytesRead: number;
  totalBytes: number;
  records: number;
  problems: number;
  /** Set on the last call, once every record has been written. */
  done?: boolean;
}

/** What a reader produces, in file order: a good record or a bad one (reported and skipped). */
export type ReadEvent = { item: ImportedItem } | { problem: { line: number; message: string } };

/** A fatal import error (unreadable file, corrupt gzip, not an importable file): nothing more can be read. */
export class ImportError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ImportError';
  }
}

/** The user's rating of an item: Discogs writes 0 for "not rated". */
export function ratingFrom(value: unknown): number | null {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > 5) return null;
  return Math.round(n);
}

export function textOrNull(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const t = value.trim();
  return t === '' ? null : t;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
