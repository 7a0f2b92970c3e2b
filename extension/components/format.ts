// Small display helpers shared by the popup and the options page.
import type { Release } from '../../shared/schemas';
import { REFUSED_MARK, type ExtensionStatus, type ModelKnowledge } from '../core/messaging';

export function artistLine(release: Release | null, releaseId: number): string {
  if (!release) return `Release ${releaseId}`;
  return release.artists.length > 0 ? release.artists.join(', ') : 'Unknown artist';
}

export function labelLine(release: Release | null): string {
  if (!release) return '';
  const label = release.labels[0];
  const parts = [label ? [label.name, label.catno].filter(Boolean).join(' ') : null, release.year ? String(release.year) : null, release.country];
  return parts.filter(Boolean).join(' · ');
}

export function timeAgo(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

export function syncLine(status: ExtensionStatus): string {
  const { sync } = status;
  if (!sync.paired) return 'not paired';
  // Refused labels are not a failed sync: the others were sent (background/labelStore.ts noteRefused).
  if (sync.lastError?.includes(REFUSED_MARK)) return sync.lastError;
  if (sync.lastError) return `sync failed: ${sync.lastError}${sync.queued > 0 ? ` (${sync.queued} labels queued)` : ''}`;
  return `${sync.queued > 0 ? `${sync.queued} labels queued, ` : ''}synced ${timeAgo(sync.lastSyncAt)}`;
}

/** "no labels yet" / "learned from 120 labels" / "learned from labels" (count not recorded). */
export function knowledgeLine(knowledge: ModelKnowledge): string {
  if (!knowledge.learned) return 'no labels yet';
  if (knowledge.labels === null) return 'learned from labels';
  return `learned from ${knowledge.labels} ${knowledge.labels === 1 ? 'label' : 'labels'}`;
}
