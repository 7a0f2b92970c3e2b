// Importers: Discogs collection CSV exports, Discogs API JSON, release JSON lines, the project's
// normalised collections .jsonl and the Discogs monthly releases dump (XML, gzipped or not).
// Records go to an ImportSink in chunks; the sink writes each chunk and its checkpoint in one
// transaction, so an interrupted import resumes after the last committed chunk.
import { releaseLimitProblem } from '../schemas';
import path from 'node:path';
import { looksLikeCollectionHeader, readCollectionCsv } from './csv';
import { looksLikeJsonLines, readJsonDocument, readJsonLines, type JsonReadOptions } from './json';
import { openTextSource, readTextHead, type TextSource } from './source';
import {
  IMPORT_FORMATS,
  ImportError,
  type ImportedItem,
  type ImportFormat,
  type ImportProblem,
  type ImportProgress,
  type ImportSink,
  type ReadEvent,
} from './types';
import { readDumpXml } from './xml';

export type { ImportedItem, ImportFormat, ImportProblem, ImportProgress, ImportSink, ListKind, ReadEvent } from './types';
export { IMPORT_FORMATS, ImportError } from './types';
export { createProgressBar, formatProgress } from './progress';
export { CSV_HEADER_ALIASES, formatsFromCsv, labelsFromCsv } from './csv';
export { itemFromListEntry } from './json';

export interface ImportOptions {
  /** Skips detection. */
  format?: ImportFormat;
  /** Records per sink transaction (default 500). */
  chunkSize?: number;
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
  /** keepers-jsonl (and pool lines inside API JSON): import only this user's lines. */
  user?: string;
  /** Problems listed in the result (default 1000); the rest are counted in one last entry. */
  maxProblems?: number;
}

export interface ImportResult {
  /** Records committed for this file in total, including the `resumedFrom` of an earlier run. */
  records: number;
  /** At most `maxProblems` listed, plus one entry counting the rest. */
  problems: ImportProblem[];
  /** Every problem found, listed or not. */
  problemCount: number;
  format: ImportFormat;
  /** Records skipped because an earlier, interrupted run had committed them. */
  resumedFrom: number;
}

const SNIFF_BYTES = 256 * 1024;

/** By extension and by sniffing the first bytes (gzip magic, '<releases', '{' / '[', a CSV header). */
export async function detectFormat(file: string): Promise<ImportFormat> {
  const { text } = await readTextHead(file, SNIFF_BYTES);
  const head = text.replace(/^\uFEFF/, '').trimStart();
  const ext = path.basename(file).toLowerCase().replace(/\.gz$/, '');
  if (head.length === 0) throw new ImportError(`${file}: the file is empty`, file);

  if (head.startsWith('<')) {
    const root = /<([A-Za-z_][\w.-]*)[\s>/]/.exec(head.replace(/<\?[^>]*\?>/g, '').replace(/<!--[\s\S]*?-->/g, ''));
    // <releases> is the dump; a lone <release> (one record cut out of it) reads the same way.
    if (root?.[1] === 'releases' || root?.[1] === 'release') return 'dump-xml';
    const what = root ? `<${root[1]}>` : 'XML';
    throw new ImportError(
      `${file}: ${what} is not importable: only the Discogs releases data dump (root element <releases>) can be imported`,
      file,
      1,
    );
  }

  if (head.startsWith('{') || head.startsWith('[')) {
    const jsonLines = ext.endsWith('.jsonl') || ext.endsWith('.ndjson') || looksLikeJsonLines(head);
    if (!jsonLines) return 'api-json';
    const first = head.slice(0, head.indexOf('\n') === -1 ? undefined : head.indexOf('\n'));
    if (/"release_id"\s*:/.test(first) && !/"basic_information"\s*:/.test(first)) return 'keepers-jsonl';
    if (/"basic_information"\s*:|"releases"\s*:\s*\[|"wants"\s*:\s*\[/.test(first)) return 'api-json';
    return 'releases-jsonl';
  }

  const firstLine = head.slice(0, head.search(/\r?\n|$/));
  if (looksLikeCollectionHeader(firstLine)) return 'collection-csv';
  if (ext.endsWith('.csv')) {
    throw new ImportError(
      `${file}:1: not a Discogs collection export: no release_id column in the header (found: ${firstLine.slice(0, 200)})`,
      file,
      1,
    );
  }
  throw new ImportError(
    `${file}: cannot tell the format (expected a Discogs collection CSV export, Discogs API JSON, JSON lines or the releases data dump XML); name it with the format option (${IMPORT_FORMATS.join(', ')})`,
    file,
  );
}

function readerFor(format: ImportFormat, source: TextSource, opts: JsonReadOptions): AsyncGenerator<ReadEvent> {
  switch (format) {
    case 'collection-csv':
      return readCollectionCsv(source);
    case 'dump-xml':
      return readDumpXml(source);
    case 'keepers-jsonl':
      return readJsonLines(source, 'keepers', opts);
    case 'releases-jsonl':
      return readJsonLines(source, 'release-doc', opts);
    case 'api-json':
      return apiJson(source, opts);
  }
}

/** API JSON is one document or JSON lines (of pages, items or release documents): decided by its first bytes. */
async function* apiJson(source: TextSource, opts: JsonReadOptions): AsyncGenerator<ReadEvent> {
  const { text } = await readTextHead(source.file, SNIFF_BYTES);
  const jsonLines = /\.(jsonl|ndjson)(\.gz)?$/i.test(source.file) || looksLikeJsonLines(text.replace(/^\uFEFF/, '').trimStart());
  yield* jsonLines ? readJsonLines(source, 'any', opts) : readJsonDocument(source, 'any', opts);
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('import aborted');
}

/**
 * Imports one file into the sink: bad records become problems (file and line) and are skipped; a fatal
 * error (unreadable file, truncated gzip, not an importable file) throws an ImportError after the chunks
 * committed so far, and never writes the partial chunk in hand, so the sink holds only whole chunks.
 */
export async function importFile(file: string, sink: ImportSink, opts: ImportOptions = {}): Promise<ImportResult> {
  const chunkSize = opts.chunkSize ?? 500;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`chunkSize must be a positive whole number, got ${chunkSize}`);
  if (opts.format !== undefined && !IMPORT_FORMATS.includes(opts.format)) {
    throw new ImportError(`Unknown import format ${JSON.stringify(opts.format)}; expected one of ${IMPORT_FORMATS.join(', ')}`, file);
  }
  opts.signal?.throwIfAborted();
  const format = opts.format ?? (await detectFormat(file));
  const source = await openTextSource(file);
  const resumedFrom = await sink.resumeFrom();
  if (!Number.isInteger(resumedFrom) || resumedFrom < 0) throw new Error(`sink.resumeFrom() must return a count, got ${resumedFrom}`);

  const maxProblems = opts.maxProblems ?? 1000;
  const problems: ImportProblem[] = [];
  let problemCount = 0;
  let lastProblemLine = 0;
  let seen = 0;
  let chunk: ImportedItem[] = [];
  let lastReport = 0;
  const progress = (force: boolean, done = false) => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (!force && now - lastReport < 200) return;
    lastReport = now;
    opts.onProgress({ bytesRead: source.bytesRead(), totalBytes: source.totalBytes, records: seen, problems: problemCount, done });
  };

  for await (const ev of readerFor(format, source, { user: opts.user })) {
    if (opts.signal?.aborted) throw abortError(opts.signal);
    if ('problem' in ev) {
      problemCount++;
      lastProblemLine = ev.problem.line;
      if (problems.length < maxProblems) problems.push({ file, ...ev.problem });
      continue;
    }
    // Caps inside a record (shared/schemas/limits.ts): an oversized one is a problem, like a malformed one.
    const tooLarge = releaseLimitProblem(ev.item.release);
    if (tooLarge) {
      problemCount++;
      lastProblemLine = ev.item.line;
      if (problems.length < maxProblems) problems.push({ file, line: ev.item.line, message: `release ${ev.item.release.id} too large: ${tooLarge}` });
      continue;
    }
    seen++;
    if (seen <= resumedFrom) {
      progress(false);
      continue;
    }
    chunk.push(ev.item);
    if (chunk.length >= chunkSize) {
      await sink.writeChunk(chunk, { recordsDone: seen });
      chunk = [];
      progress(true);
    }
  }
  if (opts.signal?.aborted) throw abortError(opts.signal);
  if (chunk.length > 0) await sink.writeChunk(chunk, { recordsDone: seen });
  if (seen < resumedFrom) {
    throw new ImportError(
      `${file}: an earlier import of this file committed ${resumedFrom} records but the file now holds ${seen}: it changed since; clear that import's checkpoint and import again`,
      file,
    );
  }
  if (problemCount > problems.length) {
    problems.push({ file, line: lastProblemLine, message: `${problemCount - problems.length} more problems not listed` });
  }
  progress(true, true);
  return { records: seen, problems, problemCount, format, resumedFrom };
}
