// Caps inside a record, on top of ReleaseSchema's types: a device or an imported file must not store a
// 7 MiB title or 100,000 genres (they would be re-read, re-encoded and shipped to every device). Real
// Discogs releases stay far below every cap (the longest titles are a few hundred characters; box sets
// list a few dozen formats and labels).
import { ReleaseSchema, type Release } from './release';

export const RELEASE_LIMITS = {
  /** Any one text field: title, artist, label, catno, genre, style, format, country, released, thumb. */
  textChars: 1000,
  artists: 100,
  labels: 100,
  genres: 50,
  styles: 100,
  formats: 100,
  descriptionsPerFormat: 50,
  /** The whole record as stored (JSON). */
  jsonBytes: 64 * 1024,
} as const;

/** The first cap `release` breaks ("title: 7340032 characters, at most 1000"), or null. */
export function releaseLimitProblem(release: Release): string | null {
  const L = RELEASE_LIMITS;
  const text = (where: string, value: string | null | undefined) =>
    value && value.length > L.textChars ? `${where}: ${value.length} characters, at most ${L.textChars}` : null;
  const list = (where: string, n: number, max: number) => (n > max ? `${where}: ${n} entries, at most ${max}` : null);
  const checks: Array<() => string | null> = [
    () => text('title', release.title),
    () => list('artists', release.artists.length, L.artists),
    () => list('labels', release.labels.length, L.labels),
    () => list('genres', release.genres.length, L.genres),
    () => list('styles', release.styles.length, L.styles),
    () => list('formats', release.formats.length, L.formats),
    () => text('country', release.country),
    () => text('released', release.released),
    () => text('thumb', release.thumb),
    () => release.artists.map((a, i) => text(`artists[${i}]`, a)).find(Boolean) ?? null,
    () => release.labels.map((l, i) => text(`labels[${i}].name`, l.name) ?? text(`labels[${i}].catno`, l.catno)).find(Boolean) ?? null,
    () => release.genres.map((g, i) => text(`genres[${i}]`, g)).find(Boolean) ?? null,
    () => release.styles.map((s, i) => text(`styles[${i}]`, s)).find(Boolean) ?? null,
    () =>
      release.formats
        .map((f, i) => text(`formats[${i}].name`, f.name) ?? list(`formats[${i}].descriptions`, f.descriptions.length, L.descriptionsPerFormat) ?? f.descriptions.map((d, j) => text(`formats[${i}].descriptions[${j}]`, d)).find(Boolean) ?? null)
        .find(Boolean) ?? null,
    () => {
      const bytes = new TextEncoder().encode(JSON.stringify(release)).length;
      return bytes > L.jsonBytes ? `the record is ${bytes} bytes as JSON, at most ${L.jsonBytes}` : null;
    },
  ];
  for (const check of checks) {
    const problem = check();
    if (problem) return problem;
  }
  return null;
}

/** ReleaseSchema plus RELEASE_LIMITS: what the API accepts from a device. */
export const BoundedReleaseSchema = ReleaseSchema.superRefine((release, ctx) => {
  const problem = releaseLimitProblem(release);
  if (problem) ctx.addIssue({ code: 'custom', message: `too large: ${problem}` });
});
