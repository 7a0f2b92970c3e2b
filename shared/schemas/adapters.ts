// Adapters from the shapes real Discogs data comes in to the product's Release.
// Each one only maps field names; coercion and validation live in ReleaseSchema, and error messages
// name the source's own field (release_id, master_id, basic_information.labels[0].name, …).
import { describe, parseRelease, type Release } from './release';

type Obj = Record<string, unknown>;

function asObject(value: unknown, what: string): Obj {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`Invalid ${what}: expected an object, got ${describe(value)}`);
  }
  return value as Obj;
}

/** Splits "PIASLL141LPC, none" (one catalogue number per label, as the collection CSV export joins them). */
function catnosFor(labelCount: number, catno: unknown): (string | null)[] {
  if (typeof catno !== 'string' && typeof catno !== 'number') return [];
  const text = String(catno).trim();
  if (text === '') return [];
  if (labelCount <= 1) return [text];
  const parts = text.split(',').map((p) => p.trim());
  // Only pair them up when the counts agree: a catalogue number may itself contain a comma.
  return parts.length === labelCount ? parts : [text];
}

const POOL_FIELD_NAMES: Record<string, string> = {
  id: 'release_id',
  masterId: 'master_id',
  lowestPrice: 'lowest_price',
};

/**
 * A line of derived/pool.jsonl, derived/collections.jsonl or derived/canonical/pool.jsonl:
 * `{ release_id, master_id?, title, artists[], labels[] (names), catno?, year, genres[], styles[],
 *    formats[] (names), format_desc[]?, country?, community_have/want/rating? }`.
 */
export function releaseFromPoolRecord(obj: unknown): Release {
  const rec = asObject(obj, 'pool record');
  const labelNames = rec.labels;
  const labelList = Array.isArray(labelNames) ? labelNames : labelNames === undefined || labelNames === null ? [] : [labelNames];
  const catnos = catnosFor(labelList.length, rec.catno);
  const labels = labelList.map((name, i) => (typeof name === 'string' ? { name, catno: catnos[i] ?? null } : name));

  const formatNames = rec.formats;
  const formatList = Array.isArray(formatNames) ? formatNames : formatNames === undefined || formatNames === null ? [] : [formatNames];
  // The flat record has one description list for the whole release: it belongs to the first format.
  const formats = formatList.map((name, i) =>
    typeof name === 'string' ? { name, qty: 1, descriptions: i === 0 ? (rec.format_desc ?? []) : [] } : name,
  );

  return parseRelease(
    {
      id: rec.release_id ?? rec.id,
      masterId: rec.master_id ?? null,
      title: rec.title,
      artists: rec.artists,
      labels,
      year: rec.year,
      released: rec.released ?? null,
      country: rec.country ?? null,
      genres: rec.genres,
      styles: rec.styles,
      formats,
      community: {
        have: rec.community_have ?? null,
        want: rec.community_want ?? null,
        rating: rec.community_rating ?? null,
        ratingCount: rec.community_rating_count ?? null,
      },
      lowestPrice: rec.lowest_price ?? null,
      thumb: rec.thumb ?? null,
    },
    'pool record',
    POOL_FIELD_NAMES,
  );
}

const API_FIELD_NAMES: Record<string, string> = {
  masterId: 'master_id',
  lowestPrice: 'lowest_price',
};

/** The Discogs API's `community.rating` is `{ average, count }`; an average over zero votes means "no rating". */
function apiRating(community: Obj): { rating: unknown; ratingCount: unknown } {
  const rating = community.rating;
  if (rating !== null && typeof rating === 'object' && !Array.isArray(rating)) {
    const { average, count } = rating as Obj;
    const noVotes = count === 0 || count === '0';
    return { rating: noVotes ? null : (average ?? null), ratingCount: count ?? null };
  }
  return { rating: rating ?? null, ratingCount: null };
}

/** A `GET /releases/{id}` document of the Discogs API. */
export function releaseFromApiRelease(doc: unknown): Release {
  const d = asObject(doc, 'Discogs API release');
  const community = d.community === undefined || d.community === null ? {} : asObject(d.community, 'Discogs API release community');
  const { rating, ratingCount } = apiRating(community);
  return parseRelease(
    {
      id: d.id,
      masterId: d.master_id ?? null,
      title: d.title,
      artists: d.artists,
      labels: d.labels,
      year: d.year,
      released: d.released ?? null,
      country: d.country ?? null,
      genres: d.genres,
      styles: d.styles,
      formats: d.formats,
      community: { have: community.have ?? null, want: community.want ?? null, rating, ratingCount },
      lowestPrice: d.lowest_price ?? null,
      thumb: d.thumb ?? null,
    },
    'Discogs API release',
    API_FIELD_NAMES,
  );
}

const BASIC_FIELD_NAMES: Record<string, string> = {
  id: 'basic_information.id',
  masterId: 'basic_information.master_id',
  title: 'basic_information.title',
  artists: 'basic_information.artists',
  labels: 'basic_information.labels',
  year: 'basic_information.year',
  genres: 'basic_information.genres',
  styles: 'basic_information.styles',
  formats: 'basic_information.formats',
  thumb: 'basic_information.thumb',
};

/** A collection or wantlist page item: `{ id, basic_information: { id, master_id, title, year, artists, labels, formats, genres, styles, thumb } }`. */
export function releaseFromBasicInformation(item: unknown): Release {
  const it = asObject(item, 'collection item');
  const bi = asObject(it.basic_information, 'collection item basic_information');
  return parseRelease(
    {
      id: bi.id ?? it.id,
      masterId: bi.master_id ?? null,
      title: bi.title,
      artists: bi.artists,
      labels: bi.labels,
      year: bi.year,
      released: null,
      country: bi.country ?? null,
      genres: bi.genres,
      styles: bi.styles,
      formats: bi.formats,
      community: null,
      lowestPrice: null,
      thumb: bi.thumb ?? null,
    },
    'collection item',
    BASIC_FIELD_NAMES,
  );
}
