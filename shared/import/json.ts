// Discogs API JSON (collection / wantlist pages, their items, /releases/{id} documents) as a single
// document, an array of pages or JSON lines, and the project's normalised collections .jsonl.
// Mapping to Release is the shared adapters' job; this file only finds the records and their lines.
import { releaseFromApiRelease, releaseFromBasicInformation, releaseFromPoolRecord } from '../schemas';
import { lines, type TextSource } from './source';
import { ImportError, errorMessage, ratingFrom, textOrNull, type ImportedItem, type ListKind, type ReadEvent } from './types';

type Obj = Record<string, unknown>;

/** How to read each JSON value: anything Discogs-shaped, only release documents, or only keepers lines. */
export type JsonExpect = 'any' | 'release-doc' | 'keepers';

export interface JsonReadOptions {
  /** keepers-jsonl: only lines of this user (the `user` field). */
  user?: string;
}

/** A single JSON document larger than this cannot be parsed as one string: JSON lines can. */
const MAX_SINGLE_DOCUMENT_CHARS = 256 * 1024 * 1024;

function isObject(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A collection or wantlist entry (`{ id, basic_information, date_added, rating }`) → item. */
export function itemFromListEntry(entry: unknown, listKind: ListKind, line: number): ImportedItem {
  const release = releaseFromBasicInformation(entry);
  const e = entry as Obj;
  return { line, release, listKind, dateAdded: textOrNull(e.date_added), rating: ratingFrom(e.rating) };
}

/**
 * The page an entry came from decides (`releases` or `wants`); a bare entry is a wantlist entry when its
 * resource_url is `/users/<u>/wants/<id>`, a collection entry when it has an instance or folder id.
 */
function listKindOfEntry(entry: Obj, pageKind: ListKind): ListKind {
  if (pageKind !== null) return pageKind;
  if (typeof entry.resource_url === 'string' && /\/wants\//.test(entry.resource_url)) return 'wantlist';
  if (entry.instance_id !== undefined || entry.folder_id !== undefined) return 'collection';
  return null;
}

function keys(o: Obj): string {
  const k = Object.keys(o);
  return k.length === 0 ? 'none' : k.slice(0, 8).join(', ') + (k.length > 8 ? ', …' : '');
}

type LineOf = (path: (string | number)[]) => number;

/** Walks one parsed JSON value and yields its records; `path` locates values for line numbers. */
function* recordsOf(
  value: unknown,
  path: (string | number)[],
  lineOf: LineOf,
  expect: JsonExpect,
  opts: JsonReadOptions,
  listKind: ListKind = null,
): Generator<ReadEvent> {
  const line = lineOf(path);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) yield* recordsOf(value[i], [...path, i], lineOf, expect, opts, listKind);
    return;
  }
  if (!isObject(value)) {
    yield { problem: { line, message: `expected a JSON object, got ${JSON.stringify(value)?.slice(0, 40) ?? 'nothing'}` } };
    return;
  }
  try {
    if (expect === 'keepers' || (expect === 'any' && value.release_id !== undefined)) {
      if (opts.user !== undefined && value.user !== opts.user) return;
      if (value.release_id === undefined) {
        yield { problem: { line, message: `no release_id (keys: ${keys(value)})` } };
        return;
      }
      const kind = value.kind === 'collection' || value.kind === 'wantlist' ? value.kind : listKind;
      const release = releaseFromPoolRecord(value);
      yield { item: { line, release, listKind: kind, dateAdded: textOrNull(value.date_added), rating: ratingFrom(value.rating) } };
      return;
    }
    if (expect === 'release-doc') {
      yield { item: { line, release: releaseFromApiRelease(value), listKind: null, dateAdded: null, rating: null } };
      return;
    }
    if (Array.isArray(value.releases) || Array.isArray(value.wants)) {
      const kind: ListKind = Array.isArray(value.wants) ? 'wantlist' : 'collection';
      const field = kind === 'wantlist' ? 'wants' : 'releases';
      yield* recordsOf(value[field], [...path, field], lineOf, expect, opts, kind);
      return;
    }
    if (value.basic_information !== undefined) {
      yield { item: itemFromListEntry(value, listKindOfEntry(value, listKind), line) };
      return;
    }
    if (typeof value.message === 'string' && value.id === undefined) {
      yield { problem: { line, message: `a Discogs API error body, not a record: ${JSON.stringify(value.message)}` } };
      return;
    }
    if (value.id !== undefined && (value.title !== undefined || value.resource_url !== undefined)) {
      yield { item: { line, release: releaseFromApiRelease(value), listKind: null, dateAdded: null, rating: null } };
      return;
    }
    yield {
      problem: { line, message: `not a Discogs collection or wantlist page, list item or release document (keys: ${keys(value)})` },
    };
  } catch (err) {
    yield { problem: { line, message: errorMessage(err) } };
  }
}

/**
 * Line numbers of the values of a JSON text down to `maxDepth`, keyed by their path ("releases/3").
 * JSON.parse gives no positions; this scan only tracks strings, brackets and commas.
 */
function jsonValueLines(text: string, maxDepth = 3): Map<string, number> {
  type Frame = { arr: true; index: number } | { arr: false; key: string; expectKey: boolean };
  const out = new Map<string, number>();
  const stack: Frame[] = [];
  let line = 1;
  const record = () => {
    if (stack.length <= maxDepth) out.set(stack.map((f) => (f.arr ? f.index : f.key)).join('/'), line);
  };
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 58 /* : */) {
      i++;
      continue;
    }
    const top = stack[stack.length - 1];
    if (c === 34 /* " */) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 92) j += 2;
        else if (d === 34) break;
        else j++;
      }
      if (top && !top.arr && top.expectKey) {
        top.key = text.slice(i + 1, j);
        top.expectKey = false;
      } else record();
      i = j + 1;
      continue;
    }
    if (c === 44 /* , */) {
      if (top?.arr) top.index++;
      else if (top) top.expectKey = true;
      i++;
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      record();
      stack.push(c === 91 ? { arr: true, index: 0 } : { arr: false, key: '', expectKey: true });
      i++;
      continue;
    }
    if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
      i++;
      continue;
    }
    record(); // a number, true, false or null
    while (i < n && !',}]\n'.includes(text.charAt(i))) i++;
  }
  return out;
}

/** V8 says "… at position 285" (Node 20) or "(line 12 column 5)" (newer): turn either into a line. */
function jsonErrorLine(err: unknown, text: string): number {
  const msg = errorMessage(err);
  const lineCol = /line (\d+) column/.exec(msg);
  if (lineCol) return Number(lineCol[1]);
  const pos = /position (\d+)/.exec(msg);
  if (!pos) return 1;
  let line = 1;
  const end = Math.min(Number(pos[1]), text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A file holding one JSON document (a page, an array of pages or items, a release document). */
export async function* readJsonDocument(source: TextSource, expect: JsonExpect, opts: JsonReadOptions): AsyncGenerator<ReadEvent> {
  let text = '';
  for await (const chunk of source.chunks()) {
    text += chunk;
    if (text.length > MAX_SINGLE_DOCUMENT_CHARS) {
      throw new ImportError(
        `${source.file}: a single JSON document larger than ${MAX_SINGLE_DOCUMENT_CHARS / 1024 / 1024} MB cannot be imported; write it as JSON lines (one page or release per line)`,
        source.file,
      );
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const line = jsonErrorLine(err, text);
    throw new ImportError(`${source.file}:${line}: invalid JSON: ${errorMessage(err)}`, source.file, line, { cause: err });
  }
  const lineMap = jsonValueLines(text);
  text = '';
  const lineOf: LineOf = (path) => {
    // Deeper values than the map holds take the line of their nearest mapped ancestor.
    for (let depth = Math.min(path.length, 3); depth >= 0; depth--) {
      const found = lineMap.get(path.slice(0, depth).join('/'));
      if (found !== undefined) return found;
    }
    return 1;
  };
  yield* recordsOf(value, [], lineOf, expect, opts);
}

/** JSON lines: one page, list item, release document or keepers line per line; a broken line is a problem. */
export async function* readJsonLines(source: TextSource, expect: JsonExpect, opts: JsonReadOptions): AsyncGenerator<ReadEvent> {
  for await (const { line, text } of lines(source.chunks())) {
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { problem: { line, message: `invalid JSON line: ${errorMessage(err)}` } };
      continue;
    }
    yield* recordsOf(value, [], () => line, expect, opts);
  }
}

/** Whether a text is JSON lines: its first line is a complete JSON value and another value follows. */
export function looksLikeJsonLines(head: string): boolean {
  const nl = head.indexOf('\n');
  if (nl === -1) return false;
  try {
    JSON.parse(head.slice(0, nl));
  } catch {
    return false;
  }
  return /^\s*[{[]/.test(head.slice(nl + 1)) || head.slice(nl + 1).trim() === '';
}
