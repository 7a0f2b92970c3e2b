// Text parsing for what Discogs pages show (listing titles, counts, format strings, dates).
import type { Release } from '../../shared/schemas';

export type Format = Release['formats'][number];

/** Collapses runs of whitespace (page text is full of line breaks and indentation). */
export function normText(text: string | null | undefined): string {
  // Discogs puts left-to-right marks around its "Artist ‎– Title" dashes.
  return (text ?? '').replace(/[\u200e\u200f]/g, '').replace(/\s+/g, ' ').trim();
}

/** Discogs' artist display name without its " (2)" disambiguation suffix or "*" name-variation mark. */
export function cleanArtistName(name: string): string {
  return normText(name).replace(/\s*\(\d+\)$/, '').replace(/\*$/, '').trim();
}

/** "1,234", "1.234", " 43", "1 234" -> integer; null when there is no number. */
export function parseCount(text: string | null | undefined): number | null {
  const digits = normText(text).replace(/[\s,.\u00a0\u202f']/g, '');
  if (!/^\d+$/.test(digits)) return null;
  return Number(digits);
}

/** "4.16" or "4,16" -> 4.16; null when not a number. */
export function parseDecimal(text: string | null | undefined): number | null {
  const t = normText(text).replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(t)) return null;
  return Number(t);
}

/** Year of a Discogs date ('1987', '1987-05', '13 Feb 2017', 1987); null for 0 or none. */
export function yearFrom(value: unknown): number | null {
  const match = /(\d{4})/.exec(String(value ?? ''));
  if (!match?.[1]) return null;
  const year = Number(match[1]);
  return year >= 1860 && year <= 2100 ? year : null;
}

/** The 'YYYY' / 'YYYY-MM' / 'YYYY-MM-DD' form of a date when the value has that shape. */
export function releasedFrom(value: unknown): string | null {
  const text = String(value ?? '').trim();
  return /^\d{4}(-\d{2}(-\d{2})?)?$/.test(text) && yearFrom(text) !== null ? text : null;
}

/**
 * Format names as the marketplace abbreviates them. A part of a format string whose first word is not
 * one of these continues the previous format's descriptions ("Box, Ltd + LP, Whi").
 */
const FORMAT_NAMES = new Set(
  [
    'Vinyl', 'LP', '7"', '10"', '12"', '2"', '3"', '5"', '6"', '8"', '9"', '11"', '16"', 'Shellac', 'Flexi-disc', 'Flexi', 'Lathe Cut', 'Lathe',
    'CD', 'CDr', 'CDV', 'SACD', 'Hybrid', 'Minidisc', 'MD', 'DVD', 'DVD-V', 'DVD-A', 'DVDr', 'HD DVD', 'Blu-ray', 'Blu-ray-R',
    'Cassette', 'Cass', 'Microcassette', 'DAT', 'DCC', '8-Track Cartridge', '8-Trk', 'Reel-To-Reel', 'Reel', 'VHS', 'Betamax',
    'Laserdisc', 'File', 'Box Set', 'Box', 'All Media', 'Memory Stick', 'Floppy Disk', 'Acetate', 'Cylinder',
  ].map((n) => n.toLowerCase()),
);

/**
 * A Discogs format string ("2xLP, Album, Ltd + CD, Comp", "Vinyl, 12\"") as formats. Unknown leading
 * words are kept as descriptions rather than dropped, so nothing the page showed is lost.
 */
export function parseFormats(text: string): Format[] {
  const formats: Format[] = [];
  let pending: string[] = [];
  // Label and artist tables wrap the format in parentheses: "(Vinyl, LP, Album)".
  const inner = normText(text).replace(/^\((.*)\)$/, '$1');
  for (const part of inner.split(' + ')) {
    const tokens = part.split(',').map((t) => t.trim()).filter((t) => t.length > 0);
    const [head, ...rest] = tokens;
    if (!head) continue;
    const qtyMatch = /^(\d+)\s*x\s*(.+)$/i.exec(head);
    const name = qtyMatch?.[2] ?? head;
    if (FORMAT_NAMES.has(name.toLowerCase())) {
      formats.push({ name, qty: qtyMatch ? Number(qtyMatch[1]) : 1, descriptions: [...pending, ...rest] });
      pending = [];
    } else {
      const last = formats[formats.length - 1];
      if (last) last.descriptions.push(...tokens);
      else pending.push(...tokens);
    }
  }
  if (pending.length > 0) formats.push({ name: pending[0] ?? '', qty: 1, descriptions: pending.slice(1) });
  return formats;
}

/** "Artist - Title (CD, Album)" (marketplace listing titles) -> its parts; title alone when no " - ". */
export function splitListingTitle(text: string): { artist: string | null; title: string; format: string | null } {
  const t = normText(text);
  const formatMatch = /^(.*)\s\(([^()]*)\)$/.exec(t);
  const main = formatMatch?.[1] ?? t;
  const format = formatMatch?.[2] ?? null;
  const dash = main.indexOf(' - ');
  if (dash < 0) return { artist: null, title: main, format };
  return { artist: main.slice(0, dash), title: main.slice(dash + 3), format };
}
