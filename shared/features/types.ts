/**
 * The fields of a Release (shared/schemas) that the features read. Structural, so every `Release`
 * is accepted; optional / nullable throughout because real records miss any of them.
 */
export interface FeatureRelease {
  id: number;
  artists?: readonly string[] | null;
  labels?: ReadonlyArray<{ name: string; catno?: string | null }> | null;
  year?: number | null;
  released?: string | null;
  country?: string | null;
  genres?: readonly string[] | null;
  styles?: readonly string[] | null;
  formats?: ReadonlyArray<{ name: string; qty?: number | null; descriptions?: readonly string[] | null }> | null;
  community?: { have?: number | null; want?: number | null; rating?: number | null; ratingCount?: number | null } | null;
  lowestPrice?: number | null;
}
