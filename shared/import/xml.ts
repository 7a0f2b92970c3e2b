// The Discogs monthly data dump `releases` XML (2020 and 2025 layouts), streamed through saxes:
// only the release being built is held in memory, whatever the size of the dump. Each <release>
// becomes an API-shaped document and goes through the shared releaseFromApiRelease adapter.
import { SaxesParser, type SaxesTag } from 'saxes';
import { releaseFromApiRelease } from '../schemas';
import type { TextSource } from './source';
import { ImportError, errorMessage, type ReadEvent } from './types';

interface ReleaseBuilder {
  line: number;
  id: string | undefined;
  error: string | null;
  title: string;
  artists: { name: string }[];
  labels: { name: string; catno: string | null }[];
  formats: { name: string; qty: string; descriptions: string[] }[];
  genres: string[];
  styles: string[];
  country: string | null;
  released: string | null;
  masterId: string | null;
}

/** Paths (below <release>) whose text is kept; everything else (notes, tracklist, videos…) is skipped. */
const TEXT_PATHS = new Set([
  'title',
  'artists/artist/name',
  'formats/format/descriptions/description',
  'genres/genre',
  'styles/style',
  'country',
  'released',
  'master_id',
]);

function attr(tag: SaxesTag, name: string): string | undefined {
  // Without namespace tracking (the default) attribute values are plain strings.
  const v: unknown = tag.attributes[name];
  return typeof v === 'string' ? v : undefined;
}

/** '1999-03-00' → year 1999 and the date as given (the schema drops zero parts); free text → unknown. */
function releasedFields(released: string | null): { year: number | null; released: string | null } {
  if (released === null) return { year: null, released: null };
  const t = released.trim();
  const year = /^\d{4}/.test(t) ? Number(t.slice(0, 4)) : null;
  return {
    year: year !== null && year >= 1000 && year <= 2999 ? year : null,
    released: /^\d{4}(?:-\d{2}(?:-\d{2})?)?$/.test(t) && year !== null && year >= 1000 ? t : null,
  };
}

function toApiDocument(b: ReleaseBuilder): Record<string, unknown> {
  return {
    id: b.id,
    title: b.title,
    artists: b.artists,
    labels: b.labels,
    formats: b.formats,
    genres: b.genres,
    styles: b.styles,
    country: b.country,
    master_id: b.masterId,
    ...releasedFields(b.released),
  };
}

export async function* readDumpXml(source: TextSource): AsyncGenerator<ReadEvent> {
  const parser = new SaxesParser({ position: true });
  const out: ReadEvent[] = [];
  let fatal: ImportError | null = null;
  let current: ReleaseBuilder | null = null;
  const path: string[] = [];
  let text = '';
  let capture = false;
  let depthOutside = 0;
  // After a malformed release, saxes reports the stray closing tags that follow it: one problem is enough.
  let quietOutside = false;

  const finish = (b: ReleaseBuilder) => {
    if (b.error !== null) {
      out.push({ problem: { line: b.line, message: `malformed <release${b.id ? ` id="${b.id}"` : ''}> element: ${b.error}` } });
      quietOutside = true;
      return;
    }
    if (b.id === undefined || !/^\d+$/.test(b.id.trim())) {
      out.push({
        problem: { line: b.line, message: b.id === undefined ? '<release> without an id attribute' : `<release> id ${JSON.stringify(b.id)} is not a positive whole number` },
      });
      return;
    }
    try {
      out.push({ item: { line: b.line, release: releaseFromApiRelease(toApiDocument(b)), listKind: null, dateAdded: null, rating: null } });
    } catch (err) {
      out.push({ problem: { line: b.line, message: errorMessage(err) } });
    }
  };

  parser.on('opentag', (tag) => {
    if (current === null) {
      if (tag.name === 'release') {
        current = {
          line: parser.line,
          id: attr(tag, 'id'),
          error: null,
          title: '',
          artists: [],
          labels: [],
          formats: [],
          genres: [],
          styles: [],
          country: null,
          released: null,
          masterId: null,
        };
        path.length = 0;
        quietOutside = false;
      } else if (depthOutside === 0 && tag.name !== 'releases' && fatal === null) {
        // A single <release> document is fine too (handled above); any other root is another dump.
        const what = ['artists', 'labels', 'masters'].includes(tag.name) ? `the ${tag.name} dump` : `<${tag.name}>`;
        fatal = new ImportError(
          `${source.file}:${parser.line}: this is ${what}, not the Discogs releases dump (root element <releases>)`,
          source.file,
          parser.line,
        );
      }
      if (tag.name !== 'release') depthOutside++;
      return;
    }
    path.push(tag.name);
    const p = path.join('/');
    capture = TEXT_PATHS.has(p);
    text = '';
    if (p === 'artists/artist') current.artists.push({ name: '' });
    else if (p === 'labels/label') current.labels.push({ name: attr(tag, 'name') ?? '', catno: attr(tag, 'catno') ?? null });
    else if (p === 'formats/format') current.formats.push({ name: attr(tag, 'name') ?? '', qty: attr(tag, 'qty') ?? '1', descriptions: [] });
  });

  const onText = (t: string) => {
    if (capture) text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);

  parser.on('closetag', (tag) => {
    if (current === null) {
      if (tag.name !== 'release') depthOutside = Math.max(0, depthOutside - 1);
      return;
    }
    if (path.length === 0) {
      const done: ReleaseBuilder = current;
      current = null;
      finish(done);
      return;
    }
    const p = path.join('/');
    const value = text.trim();
    if (p === 'title') current.title = value;
    else if (p === 'artists/artist/name') {
      const last = current.artists[current.artists.length - 1];
      if (last) last.name = value;
    } else if (p === 'formats/format/descriptions/description') current.formats[current.formats.length - 1]?.descriptions.push(value);
    else if (p === 'genres/genre') current.genres.push(value);
    else if (p === 'styles/style') current.styles.push(value);
    else if (p === 'country') current.country = value || null;
    else if (p === 'released') current.released = value || null;
    else if (p === 'master_id') current.masterId = value || null;
    path.pop();
    text = '';
    capture = false;
  });

  parser.on('error', (err) => {
    if (current !== null) {
      current.error ??= err.message;
    } else if (!quietOutside) {
      out.push({ problem: { line: parser.line, message: `malformed XML: ${err.message}` } });
      quietOutside = true;
    }
  });

  for await (const chunk of source.chunks()) {
    parser.write(chunk);
    if (fatal) throw fatal;
    for (const ev of out) yield ev;
    out.length = 0;
  }
  parser.close();
  const unfinished = current as ReleaseBuilder | null;
  if (unfinished !== null) {
    out.push({
      problem: { line: unfinished.line, message: `the file ends inside <release${unfinished.id ? ` id="${unfinished.id}"` : ''}> (truncated?)` },
    });
  }
  for (const ev of out) yield ev;
}
