// Discogs collection CSV exports, in every variant seen in real data: Discogs' own export, a pandas
// re-save (index column, "Catalognum", "DateAdded"), an R re-save ("Catalog.", "Date.Added", NA,
// day-first dates, CRLF, blank padding rows of commas). Streamed through csv-parse.
import { parse } from 'csv-parse';
import { Readable } from 'node:stream';
import { parseRelease, type ReleaseInput } from '../../shared/schemas';
import type { TextSource } from './source';
import { ImportError, errorMessage, ratingFrom, type ReadEvent } from './types';

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

export function normaliseHeader(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Maps each known field to its column index; unknown columns (index, conditions, notes) are ignored. */
export function mapHeader(header: readonly string[]): Partial<Record<CsvField, number>> {
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

/** Physical carriers the export folds into its format text ("2xLP, Album") → Discogs' format name. */
const MEDIA_NAMES: Record<string, string> = {
  LP: 'Vinyl',
  '12"': 'Vinyl',
  '10"': 'Vinyl',
  '7"': 'Vinyl',
  Flexi: 'Vinyl',
  Cass: 'Cassette',
  DVD: 'DVD',
  DVDr: 'DVDr',
  'Blu-ray': 'Blu-ray',
  SACD: 'SACD',
  CD: 'CD',
  CDr: 'CDr',
  MiniDisc: 'Minidisc',
  Minidisc: 'Minidisc',
  File: 'File',
  Shellac: 'Shellac',
  'Box Set': 'Box Set',
  '8-Trk': '8-Track Cartridge',
  Reel: 'Reel-To-Reel',
  VHS: 'VHS',
};

/**
 * "2xLP, Album, Ltd + CD, Single" → [{ name: 'Vinyl', qty: 2, descriptions: ['LP', 'Album', 'Ltd'] },
 * { name: 'CD', qty: 1, descriptions: ['Single'] }]. The export writes one group per format joined by " + ".
 */
export function formatsFromCsv(text: string | null): { name: string; qty: number; descriptions: string[] }[] {
  if (!text) return [];
  return text
    .split(' + ')
    .map((group) => group.split(',').map((t) => t.trim()).filter((t) => t.length > 0))
    .filter((tokens) => tokens.length > 0)
    .map((tokens) => {
      const m = /^(\d+)\s*x\s*(.+)$/.exec(tokens[0] ?? '');
      const qty = m ? Number(m[1]) : 1;
      const carrier = m ? (m[2] ?? '') : (tokens[0] ?? '');
      const name = MEDIA_NAMES[carrier];
      // 'LP' is a description of the format 'Vinyl' in Discogs' data; 'CD' is the format itself.
      const descriptions = name === undefined || name !== carrier ? [carrier, ...tokens.slice(1)] : tokens.slice(1);
      return { name: name ?? carrier, qty, descriptions };
    });
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
export function dateFromCsv(text: string | null, state: { slashOrder: SlashOrder | null }): string | null {
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

export async function* readCollectionCsv(source: TextSource): AsyncGenerator<ReadEvent> {
  const skipped: { line: number; message: string }[] = [];
  const parser = parse({
    info: true,
    relax_column_count: true,
    skip_records_with_error: true,
    on_skip: (err) => {
      // Broken quoting: csv-parse skips the record and tells us where.
      skipped.push({ line: typeof err?.lines === 'number' ? err.lines : 0, message: `malformed CSV row: ${err?.message ?? 'unreadable'}` });
      return undefined;
    },
  });
  const input = Readable.from(source.chunks());
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);

  let columns: Partial<Record<CsvField, number>> | null = null;
  let previousEnd = 0;
  const dates = { slashOrder: null as SlashOrder | null };
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      while (skipped.length > 0) yield { problem: skipped.shift()! };
      const line = previousEnd + 1;
      previousEnd = rec.info.lines;
      const row = rec.record;
      if (columns === null) {
        columns = mapHeader(row);
        if (columns.releaseId === undefined) {
          throw new ImportError(
            `${source.file}:${line}: not a Discogs collection export: no release_id column in the header (found: ${row.join(', ')})`,
            source.file,
            line,
          );
        }
        continue;
      }
      // Padding rows (",,,,,") and empty lines carry nothing: not a problem.
      if (row.every((v) => v.trim() === '' || v.trim() === 'NA')) continue;
      const idText = cell(row, columns.releaseId);
      if (idText === null) {
        yield { problem: { line, message: 'no release_id in this row' } };
        continue;
      }
      if (!/^\d+$/.test(idText) || Number(idText) <= 0) {
        yield { problem: { line, message: `release_id ${JSON.stringify(idText)} is not a positive whole number` } };
        continue;
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
          year: released !== null && /^\d{4}/.test(released) ? Number(released.slice(0, 4)) : null,
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
        yield { item: { line, release, listKind: 'collection', dateAdded, rating: ratingFrom(cell(row, columns.rating)) } };
      } catch (err) {
        yield { problem: { line, message: errorMessage(err) } };
      }
    }
    while (skipped.length > 0) yield { problem: skipped.shift()! };
    if (columns === null) throw new ImportError(`${source.file}: the file is empty (no CSV header)`, source.file, 1);
  } finally {
    input.destroy();
    parser.destroy();
  }
}
