// Every overlay feature on Discogs pages, once: its id (the options page's toggle key and the runner's
// name for it), the words of its toggle, and the file that implements it (in this folder). The options
// page, the background's toggle defaults and the runner read this list; tests/extension/features-registry
// .test.ts checks it against the files present, the runner's features and the options page's toggles.
// No implementation is imported here, so the options page and the background load none of them.

export interface FeatureEntry {
  /** The feature's `id` (ContentFeature.id) and its toggle key in storage. */
  id: string;
  /** The options page's words for its toggle. */
  label: string;
  /** Its file in extension/features. */
  file: string;
}

/** Badge features first: add-ons decorate the badges they create (the runner applies them in this order). */
export const FEATURE_REGISTRY = [
  { id: 'record-badges', label: 'Badges on record rows (marketplace, search, lists)', file: 'record-badges.ts' },
  { id: 'release-header-badge', label: 'Badge on release and master page headers', file: 'release-header-badge.ts' },
  { id: 'why-shown', label: '“Why shown?” explanations', file: 'why-shown.ts' },
  { id: 'label-buttons', label: 'Keeper / not-keeper buttons on the page', file: 'label-buttons.ts' },
] as const satisfies readonly FeatureEntry[];

export type FeatureId = (typeof FEATURE_REGISTRY)[number]['id'];

/** The saved toggles with every known feature filled in: unknown or unset features are on, so a new feature shows up until the user turns it off. */
export function togglesWithDefaults(saved: Record<string, boolean> | null): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const f of FEATURE_REGISTRY) out[f.id] = saved?.[f.id] ?? true;
  for (const [id, on] of Object.entries(saved ?? {})) out[id] = on;
  return out;
}
