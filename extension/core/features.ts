// The on-page features a user can switch off in the options (ids match extension/features/*).
export const FEATURE_TOGGLES = [
  { id: 'record-badges', label: 'Badges on record rows (marketplace, search, lists)' },
  { id: 'release-header-badge', label: 'Badge on release and master page headers' },
  { id: 'why-shown', label: '“Why shown?” explanations' },
  { id: 'label-buttons', label: 'Keeper / not-keeper buttons on the page' },
] as const;

/** Unknown or unset features are on: a new feature shows up until the user turns it off. */
export function withDefaults(saved: Record<string, boolean> | null): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const f of FEATURE_TOGGLES) out[f.id] = saved?.[f.id] ?? true;
  for (const [id, on] of Object.entries(saved ?? {})) out[id] = on;
  return out;
}
