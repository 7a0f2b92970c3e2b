// Discogs collection CSV exports, in every variant seen in real data: Discogs' own export, a pandas
// re-save (index column, "Catalognum", "DateAdded"), an R re-save ("Catalog.", "Date.Added", NA,
// day-first dates, CRLF, blank padding rows of commas). Streamed through csv-parse.
import { parse } from 'csv-parse';
import { parseRelease, type ReleaseInput } from '../schemas';
import type { TextSource } from './source';
import { ImportError, errorMessage, ratingFrom, type ListKind, type ReadEvent } from './types';

export type CsvField =
  | 'releaseId'
  | 'artist'
  | 'title'
  | 'label'
  | 'catno'
  | 'format'
  | 'rating'
  | 'released'
  | 'dateAdded'
  | 'folder'
  | 'lowestPrice';

/**
 * Header aliases, compared after normalising (lower case, letters and digits only), so "Catalog#",
 * "Catalog." and "catalog" are one header. Every real variant of ../shared/data is listed here.
 */
export const CSV_HEADER_ALIASES: Record<CsvField, readonly string[]> = {
  releaseId: ['releaseid', 'release', 'discogsid', 'discogsreleaseid'],
  artist: ['artist', 'artists'],
  title: ['title'],
  label: ['label', 'labels'],
  catno: ['catalog', 'catalognum', 'catalogno', 'catalognumber', 'catno'],
  format: ['format', 'formats'],
  rating: ['rating'],
  released: ['released', 'year'],
  dateAdded: ['dateadded', 'added'],
  folder: ['collectionfolder', 'folder'],
  lowestPrice: ['lowest', 'lowestprice'],
};

function normaliseHeader(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Maps each known field to its column index; unknown columns (index, conditions, notes) are ignored. */
function mapHeader(header: readonly string[]): Partial<Record<CsvField, number>> {
  const columns: Partial<Record<CsvField, number>> = {};
  header.forEach((raw, index) => {
    const norm = normaliseHeader(raw);
    for (const [field, aliases] of Object.entries(CSV_HEADER_ALIASES) as [CsvField, readonly string[]][]) {
      if (columns[field] === undefined && aliases.includes(norm)) columns[field] = index;
    }
  });
  return columns;
}

/** Whether a header line looks like a collection export (it has a release id column). */
export function looksLikeCollectionHeader(firstLine: string): boolean {
  const cells = firstLine.split(',').map((c) => c.replace(/^"|"$/g, ''));
  return mapHeader(cells).releaseId !== undefined;
}

/** R and spreadsheets write NA / NaN / NULL for missing cells. */
function cell(row: readonly string[], index: number | undefined): string | null {
  if (index === undefined) return null;
  const v = row[index]?.trim() ?? '';
  return v === '' || v === 'NA' || v === 'NaN' || v === 'NULL' ? null : v;
}

/**
 * Carriers as the export writes them ("2xLP", "Cass") → Discogs' format name. The export folds the
 * format name into its descriptions: 'LP' is a description of the format 'Vinyl', 'CD' is a format.
 */
const MEDIA_NAMES: Record<string, string> = {
  LP: 'Vinyl',
  '12"': 'Vinyl',
  '10"': 'Vinyl',
  '7"': 'Vinyl',
  '11"': 'Vinyl',
  '9"': 'Vinyl',
  Vinyl: 'Vinyl',
  Flexi: 'Flexi-disc',
  'Flexi-disc': 'Flexi-disc',
  Lathe: 'Lathe Cut',
  'Lathe Cut': 'Lathe Cut',
  Acetate: 'Acetate',
  Shellac: 'Shellac',
  Cass: 'Cassette',
  Cassette: 'Cassette',
  MC: 'Cassette',
  DAT: 'DAT',
  '8-Trk': '8-Track Cartridge',
  '8-Track Cartridge': '8-Track Cartridge',
  Reel: 'Reel-To-Reel',
  'Reel-To-Reel': 'Reel-To-Reel',
  CD: 'CD',
  CDr: 'CDr',
  CDV: 'CDV',
  SACD: 'SACD',
  'Hybrid SACD': 'SACD',
  DVD: 'DVD',
  DVDr: 'DVDr',
  'Blu-ray': 'Blu-ray',
  MiniDisc: 'Minidisc',
  Minidisc: 'Minidisc',
  VHS: 'VHS',
  File: 'File',
  'Box Set': 'Box Set',
  'All Media': 'All Media',
};

/**
 * "2xLP, Album, Ltd + CD, Single" → [{ name: 'Vinyl', qty: 2, descriptions: ['LP', 'Album', 'Ltd'] },
 * { name: 'CD', qty: 1, descriptions: ['Single'] }]. The export joins formats with " + "; a group that
 * starts with no carrier ("+ Album, Ltd": descriptions for all media) belongs to the format before it.
 */
export function formatsFromCsv(text: string | null): { name: string; qty: number; descriptions: string[] }[] {
  if (!text) return [];
  const formats: { name: string; qty: number; descriptions: string[] }[] = [];
  for (const group of text.split(' + ')) {
    const tokens = group.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
    if (tokens.length === 0) continue;
    const m = /^(\d+)\s*x\s*(.+)$/.exec(tokens[0] ?? '');
    const carrier = m ? (m[2] ?? '') : (tokens[0] ?? '');
    const name = MEDIA_NAMES[carrier];
    const previous = formats[formats.length - 1];
    if (name === undefined && !m && previous) {
      previous.descriptions.push(...tokens);
      continue;
    }
    const descriptions = name === undefined || name === carrier ? tokens.slice(1) : [carrier, ...tokens.slice(1)];
    formats.push({ name: name ?? carrier, qty: m ? Number(m[1]) : 1, descriptions });
  }
  return formats;
}

/** "A, B" labels with "a1, b1" catalogue numbers; paired only when the counts agree (a catno may contain a comma). */
export function labelsFromCsv(labelText: string | null, catnoText: string | null): { name: string; catno: string | null }[] {
  if (!labelText) return [];
  const names = labelText.split(', ').map((n) => n.trim()).filter((n) => n.length > 0);
  const catnos = catnoText ? catnoText.split(', ').map((c) => c.trim()) : [];
  const paired = catnos.length === names.length;
  const seen = new Set<string>();
  const labels: { name: string; catno: string | null }[] = [];
  names.forEach((name, i) => {
    const catno = paired ? (catnos[i] ?? null) : i === 0 ? catnoText : null;
    const key = `${name}\u0000${catno ?? ''}`;
    if (seen.has(key)) return; // "Capitol Records, Capitol Records" with one catno each side is one label
    seen.add(key);
    labels.push({ name, catno });
  });
  return labels;
}

/** Order of a slash date "a/b/yyyy", decided per file from the first unambiguous value. */
type SlashOrder = 'day-first' | 'month-first';

/**
 * '2020-09-15 17:31:59' → '2020-09-15T17:31:59'; '09/03/2025 05:48' (day first) → '2025-03-09T05:48:00'.
 * Returns null when the text is not a date the export writes.
 */
function dateFromCsv(text: string | null, state: { slashOrder: SlashOrder | null }): string | null {
  if (!text) return null;
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?/.exec(text);
  if (iso) {
    const [, y, mo, d, h, mi, s] = iso;
    if (text.length > 19 && text.includes('T')) return text; // already ISO with an offset: keep it as given
    return `${y}-${mo}-${d}T${h ?? '00'}:${mi ?? '00'}:${s ?? '00'}`;
  }
  const slash = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(text);
  if (!slash) return null;
  const [, a, b, y, h, mi, s] = slash;
  const first = Number(a);
  const second = Number(b);
  if (state.slashOrder === null) {
    if (first > 12) state.slashOrder = 'day-first';
    else if (second > 12) state.slashOrder = 'month-first';
  }
  // Until a value settles it, day first: the re-saved exports seen so far come from European locales.
  const dayFirst = state.slashOrder !== 'month-first';
  const day = dayFirst ? first : second;
  const month = dayFirst ? second : first;
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  const pad = (n: number | string) => String(n).padStart(2, '0');
  return `${y}-${pad(month)}-${pad(day)}T${pad(h ?? 0)}:${pad(mi ?? 0)}:${pad(s ?? 0)}`;
}

const CSV_FIELD_NAMES: Record<string, string> = { id: 'release_id', lowestPrice: 'lowest' };

/** Physical lines a raw CSV record spans ("a,b\r\n" is one, a quoted field with a newline adds one). */
function linesSpanned(raw: string): number {
  const breaks = raw.match(/\r\n|\r|\n/g)?.length ?? 0;
  return Math.max(1, /[\r\n]$/.test(raw) ? breaks : breaks + 1);
}

type RawEvent = { line: number; row: string[] } | { line: number; error: string };

export async function* readCollectionCsv(source: TextSource): AsyncGenerator<ReadEvent> {
  // csv-parse calls on_record and on_skip synchronously and in file order, so the line numbers are
  // counted here from each record's raw text (its own `info.lines` drifts after CRLF inside quotes).
  const queue: RawEvent[] = [];
  let nextLine = 1;
  let lastSkip: { line: number; raw: string } | null = null;
  const parser = parse({
    raw: true,
    relax_column_count: true,
    // A stray quote inside a field (hand-edited files) keeps its row instead of derailing the rest.
    relax_quotes: true,
    skip_records_with_error: true,
    on_record: (rec: string[] | { record: string[]; raw: string }) => {
      // With `raw: true` the record arrives as { record, raw }.
      const row = Array.isArray(rec) ? rec : rec.record;
      const raw = Array.isArray(rec) ? '' : rec.raw;
      queue.push({ line: nextLine, row });
      nextLine += linesSpanned(raw);
      lastSkip = null;
      return null; // consumed here: nothing is buffered in the stream
    },
    on_skip: (err, raw = '') => {
      // After a broken quote csv-parse may report the same record again with a longer raw text.
      if (lastSkip !== null && raw.startsWith(lastSkip.raw)) {
        lastSkip.raw = raw;
        nextLine = lastSkip.line + linesSpanned(raw);
        return undefined;
      }
      const line = nextLine;
      const span = linesSpanned(raw);
      lastSkip = { line, raw };
      const message =
        err?.code === 'CSV_QUOTE_NOT_CLOSED'
          ? `a quote opened in this row is never closed, so lines ${line}–${line + span - 1} (the rest of the file) could not be read; the rows before are imported`
          : `malformed CSV row: ${(err?.message ?? 'unreadable').replace(/ at line \d+/, '')}`;
      queue.push({ line, error: message });
      nextLine += span;
      return undefined;
    },
  });
  const write = (chunk: string) =>
    new Promise<void>((resolve, reject) => parser.write(chunk, (err) => (err ? reject(err) : resolve())));

  let columns: Partial<Record<CsvField, number>> | null = null;
  let listKind: ListKind = null;
  const dates = { slashOrder: null as SlashOrder | null };
  const toEvents = function* (ev: RawEvent): Generator<ReadEvent> {
    if ('error' in ev) {
      yield { problem: { line: ev.line, message: ev.error } };
      return;
    }
    const { line, row } = ev;
    if (columns === null) {
      columns = mapHeader(row);
      // Collection exports have a folder column; a wantlist export (or a hand-made list) does not,
      // so its kind is left to the caller.
      listKind = columns.folder !== undefined ? 'collection' : null;
      if (columns.releaseId === undefined) {
        throw new ImportError(
          `${source.file}:${line}: not a Discogs collection export: no release_id column in the header (found: ${row.join(', ')})`,
          source.file,
          line,
        );
      }
      return;
    }
    yield* rowEvents(row, line, columns, dates, listKind);
  };

  try {
    for await (const chunk of source.chunks()) {
      await write(chunk);
      for (const ev of queue.splice(0)) yield* toEvents(ev);
    }
    await new Promise<void>((resolve, reject) => {
      parser.once('error', reject);
      parser.end(resolve);
    });
    for (const ev of queue.splice(0)) yield* toEvents(ev);
    if (columns === null) throw new ImportError(`${source.file}: the file is empty (no CSV header)`, source.file, 1);
  } finally {
    parser.destroy();
  }
}

function* rowEvents(
  row: string[],
  line: number,
  columns: Partial<Record<CsvField, number>>,
  dates: { slashOrder: SlashOrder | null },
  listKind: ListKind,
): Generator<ReadEvent> {
  // Padding rows (",,,,,") and empty lines carry nothing: not a problem.
  if (row.every((v) => v.trim() === '' || v.trim() === 'NA')) return;
  const idText = cell(row, columns.releaseId);
  if (idText === null) {
    yield { problem: { line, message: 'no release_id in this row' } };
    return;
  }
  if (!/^\d+$/.test(idText) || Number(idText) <= 0) {
    yield { problem: { line, message: `release_id ${JSON.stringify(idText)} is not a positive whole number` } };
    return;
  }
  try {
    const releasedText = cell(row, columns.released);
    // Some re-saves write free text here ("Unknown"): keep the row, drop the date.
    const released = releasedText !== null && /^\d{4}(?:-\d{2}(?:-\d{2})?)?$/.test(releasedText) ? releasedText : null;
    const input: ReleaseInput = {
      id: Number(idText),
      masterId: null,
      title: cell(row, columns.title) ?? '',
      artists: cell(row, columns.artist) ?? [],
      labels: labelsFromCsv(cell(row, columns.label), cell(row, columns.catno)),
      year: released !== null ? Number(released.slice(0, 4)) : null,
      released,
      country: null,
      genres: [],
      styles: [],
      formats: formatsFromCsv(cell(row, columns.format)),
      community: null,
      lowestPrice: cell(row, columns.lowestPrice),
      thumb: null,
    };
    const release = parseRelease(input, 'CSV row', CSV_FIELD_NAMES);
    const addedText = cell(row, columns.dateAdded);
    const dateAdded = dateFromCsv(addedText, dates);
    if (addedText !== null && dateAdded === null) {
      yield { problem: { line, message: `Date Added ${JSON.stringify(addedText)} is not a date; the row is imported without it` } };
    }
    yield { item: { line, release, listKind, dateAdded, rating: ratingFrom(cell(row, columns.rating)) } };
  } catch (err) {
    yield { problem: { line, message: errorMessage(err) } };
  }
}
