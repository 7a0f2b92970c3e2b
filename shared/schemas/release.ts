// The release as the product sees it, whatever the source (pool files, API documents, collection
// pages, Discogs pages). Parsing is tolerant of what real Discogs data contains (numbers as strings,
// year 0, missing fields, "(2)" disambiguation suffixes, ANV stars) and strict about garbage
// (no id, non-positive id, values of a type that cannot be read as the field's type).
// Genre / style spelling is kept as given (trimmed): normalising case and aliases is shared/features' job.
import { z } from 'zod';

/** Discogs appends " (2)", " (13)" … to names shared by several artists or labels. */
const DISAMBIGUATION_SUFFIX = /\s*\(\d+\)\s*$/;

/**
 * A display name without Discogs' " (N)" disambiguation suffix and without the trailing "*" that marks an
 * artist name variation (ANV), in either order ("Name (2)*"). Stars inside a name ("N*E*R*D") stay.
 * A name that is only a star or a suffix is kept as given, so nothing turns into an empty string.
 */
export function cleanName(raw: string): string {
  const trimmed = raw.trim();
  let name = trimmed;
  // Repeat because real exports contain both orders: "Name (2)*" and "Name* (2)".
  for (let i = 0; i < 2; i++) {
    name = name.replace(DISAMBIGUATION_SUFFIX, '').replace(/(?<=\S)\s*\*$/, '').trim();
  }
  return name.length > 0 ? name : trimmed;
}

const INTEGER_TEXT = /^[+-]?\d+(?:\.0+)?$/;
const DECIMAL_TEXT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** '1999' → 1999, ' 4.5 ' → 4.5; any other string is returned unchanged so the schema reports it. */
function numberFromText(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  if (INTEGER_TEXT.test(text) || DECIMAL_TEXT.test(text)) return Number(text);
  return value;
}

/** Missing, null and empty text mean "unknown" for optional fields. */
function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

const idSchema = z.preprocess(
  numberFromText,
  z
    .number({ error: (iss) => (iss.input === undefined ? 'required (a Discogs release id)' : `expected a positive integer, got ${describe(iss.input)}`) })
    .refine((n) => Number.isSafeInteger(n) && n > 0, { error: (iss) => `expected a positive integer, got ${describe(iss.input)}` }),
);

/** An optional positive id where Discogs writes 0 for "none" (master_id). */
const optionalIdSchema = z.preprocess(
  (v) => (isBlank(v) || v === 0 || v === '0' ? null : numberFromText(v)),
  z
    .number({ error: (iss) => `expected a positive integer or nothing, got ${describe(iss.input)}` })
    .refine((n) => Number.isSafeInteger(n) && n > 0, { error: (iss) => `expected a positive integer or nothing, got ${describe(iss.input)}` })
    .nullable(),
);

function optionalNumber(check: (n: number) => boolean, expected: string) {
  return z.preprocess(
    (v) => (isBlank(v) ? null : numberFromText(v)),
    z
      .number({ error: (iss) => `expected ${expected}, got ${describe(iss.input)}` })
      .refine(check, { error: (iss) => `expected ${expected}, got ${describe(iss.input)}` })
      .nullable(),
  );
}

const countSchema = optionalNumber((n) => Number.isSafeInteger(n) && n >= 0, 'a non-negative integer');

/** Discogs writes year 0 for "unknown"; anything else must be a plausible 4-digit year. */
const yearSchema = z.preprocess(
  (v) => {
    const n = isBlank(v) ? null : numberFromText(v);
    return n === 0 ? null : n;
  },
  z
    .number({ error: (iss) => `expected a year, got ${describe(iss.input)}` })
    .refine((n) => Number.isInteger(n) && n >= 1000 && n <= 2999, { error: (iss) => `expected a 4-digit year or 0, got ${describe(iss.input)}` })
    .nullable(),
);

/**
 * Discogs gives release dates as 'YYYY', 'YYYY-MM-DD' and, for unknown parts, 'YYYY-00-00' or 'YYYY-MM-00':
 * zero parts are dropped so consumers see 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD'. '0' / '' mean unknown.
 */
const releasedSchema = z.preprocess(
  (v) => {
    if (typeof v === 'number' && Number.isInteger(v)) v = String(v);
    if (isBlank(v) || v === '0') return null;
    if (typeof v !== 'string') return v;
    const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(v.trim());
    if (!m) return v;
    const [, year, month, day] = m;
    if (year === '0000') return null;
    if (!month || month === '00') return year;
    if (!day || day === '00') return `${year}-${month}`;
    return `${year}-${month}-${day}`;
  },
  z
    .string({ error: (iss) => `expected a date text, got ${describe(iss.input)}` })
    .regex(/^\d{4}(?:-\d{2}(?:-\d{2})?)?$/, { error: (iss) => `expected 'YYYY', 'YYYY-MM' or 'YYYY-MM-DD', got ${describe(iss.input)}` })
    .nullable(),
);

/** Text that may arrive as a number ("1999" the album, catalogue numbers read by a CSV parser). */
function textFrom(v: unknown): unknown {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return typeof v === 'string' ? v.trim() : v;
}

const optionalTextSchema = z.preprocess(
  (v) => (isBlank(v) ? null : textFrom(v)),
  z.string({ error: (iss) => `expected text, got ${describe(iss.input)}` }).nullable(),
);

const titleSchema = z.preprocess(
  (v) => (v === undefined || v === null ? '' : textFrom(v)),
  z.string({ error: (iss) => `expected text, got ${describe(iss.input)}` }),
);

/** A list field: missing/null → [], a single value → [value]. */
function listOf<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]),
    z.array(item),
  );
}

const textItemSchema = z.preprocess(textFrom, z.string({ error: (iss) => `expected text, got ${describe(iss.input)}` }));

/** A name inside an object (label, format): missing means the entry is dropped (seen in client-library fixtures). */
const entryNameSchema = z.preprocess((v) => (v === undefined || v === null ? '' : textFrom(v)), z.string({ error: (iss) => `expected text, got ${describe(iss.input)}` }));

const textListSchema = listOf(textItemSchema).transform((xs) => xs.filter((x) => x.length > 0));

/** Artists as plain names or as API objects ({ name, anv, … }); the canonical name is used, not the ANV. */
const artistSchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && 'name' in v ? (v as { name: unknown }).name : v),
  textItemSchema,
);
const artistsSchema = listOf(artistSchema).transform((xs) => xs.map(cleanName).filter((x) => x.length > 0));

const catnoSchema = z.preprocess(
  (v) => {
    const t = isBlank(v) ? null : textFrom(v);
    // Discogs writes "none" for releases without a catalogue number.
    return typeof t === 'string' && t.toLowerCase() === 'none' ? null : t;
  },
  z.string({ error: (iss) => `expected text, got ${describe(iss.input)}` }).nullable(),
);

const labelSchema = z.preprocess(
  (v) => (typeof v === 'string' || typeof v === 'number' ? { name: v } : v),
  z.object(
    { name: entryNameSchema.transform(cleanName), catno: catnoSchema },
    { error: (iss) => `expected a label name or { name, catno }, got ${describe(iss.input)}` },
  ),
);
const labelsSchema = listOf(labelSchema).transform((xs) => xs.filter((l) => l.name.length > 0));

const formatSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { name: v } : v),
  z.object(
    {
      name: entryNameSchema,
      qty: z.preprocess(
        (v) => (isBlank(v) ? 1 : numberFromText(v)),
        z
          .number({ error: (iss) => `expected a quantity, got ${describe(iss.input)}` })
          .refine((n) => Number.isSafeInteger(n) && n >= 0, { error: (iss) => `expected a non-negative integer, got ${describe(iss.input)}` }),
      ),
      descriptions: textListSchema,
    },
    { error: (iss) => `expected a format name or { name, qty, descriptions }, got ${describe(iss.input)}` },
  ),
);
const formatsSchema = listOf(formatSchema).transform((xs) => xs.filter((f) => f.name.length > 0));

const communitySchema = z.preprocess(
  (v) => (v === undefined || v === null ? {} : v),
  z.object(
    {
      have: countSchema,
      want: countSchema,
      rating: optionalNumber((n) => n >= 0 && n <= 5, 'an average rating between 0 and 5'),
      ratingCount: countSchema,
    },
    { error: (iss) => `expected { have, want, rating, ratingCount }, got ${describe(iss.input)}` },
  ),
);

export const ReleaseSchema = z.object(
  {
    id: idSchema,
    masterId: optionalIdSchema,
    title: titleSchema,
    artists: artistsSchema,
    labels: labelsSchema,
    year: yearSchema,
    released: releasedSchema,
    country: optionalTextSchema,
    genres: textListSchema,
    styles: textListSchema,
    formats: formatsSchema,
    community: communitySchema,
    lowestPrice: optionalNumber((n) => Number.isFinite(n) && n >= 0, 'a non-negative price'),
    thumb: optionalTextSchema,
  },
  { error: (iss) => `expected a release object, got ${describe(iss.input)}` },
);

export type Release = z.infer<typeof ReleaseSchema>;
/** What ReleaseSchema accepts (before coercion). */
export type ReleaseInput = z.input<typeof ReleaseSchema>;

/** A short, safe rendering of a bad value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list (${value.length} items)`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

function formatPath(path: readonly PropertyKey[], rename?: Record<string, string>): string {
  let out = '';
  path.forEach((key, i) => {
    if (typeof key === 'number') out += `[${key}]`;
    else {
      const name = i === 0 && rename?.[String(key)] ? rename[String(key)] : String(key);
      out += out.length > 0 ? `.${name}` : name;
    }
  });
  return out.length > 0 ? out : '(root)';
}

/**
 * "labels[0].name: expected text, got 5; id: required (a Discogs release id)".
 * `rename` maps top-level field names to the source's own names (id → release_id) for adapter messages.
 */
export function formatZodError(err: z.ZodError, rename?: Record<string, string>): string {
  return err.issues
    .map((issue) => `${formatPath(issue.path, rename)}: ${issue.message.replace(/^Invalid input: /, '')}`)
    .join('; ');
}

/** Thrown when input cannot be read as a release; `message` names every bad field path. */
export class ReleaseParseError extends Error {
  constructor(
    message: string,
    readonly issues: z.core.$ZodIssue[],
  ) {
    super(message);
    this.name = 'ReleaseParseError';
  }
}

/** Parses and normalises a release; throws ReleaseParseError naming each bad field. */
export function parseRelease(input: unknown, context = 'release', rename?: Record<string, string>): Release {
  const result = ReleaseSchema.safeParse(input);
  if (result.success) return result.data;
  const id = input !== null && typeof input === 'object' ? (input as { id?: unknown }).id : undefined;
  const which = typeof id === 'number' || typeof id === 'string' ? ` ${describe(id)}` : '';
  throw new ReleaseParseError(`Invalid ${context}${which}: ${formatZodError(result.error, rename)}`, result.error.issues);
}
