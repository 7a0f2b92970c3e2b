// Keeper / not-keeper buttons on each badge: the label shows at once and goes to the background's queue.
import { recordKey } from '../core/recordKey';
import type { KeepersBadge } from './badge';
import { perBadgeAddon, type FeatureContext } from './types';

function syncButtons(badge: KeepersBadge): void {
  for (const button of Array.from(badge.root.querySelectorAll('button[data-keepers-label-button]'))) {
    const pressed = badge.keeperLabel !== null && String(badge.keeperLabel) === button.getAttribute('data-keeper');
    button.setAttribute('aria-pressed', String(pressed));
  }
}

/** A label is for one release: on a master-only row the collector picks the version first. */
export const MASTER_LABEL_HINT = 'Open a version to label it';

/** Shows `keeper` on every badge of the release (a record may be on the page twice). */
function showLabel(ctx: FeatureContext, releaseId: number, keeper: boolean | null): void {
  for (const badge of ctx.badges.forKey(recordKey({ releaseId }))) {
    badge.setLabel(keeper);
    syncButtons(badge);
  }
}

function decorate(badge: KeepersBadge, ctx: FeatureContext): void {
  const { doc, signal } = ctx;
  const releaseId = badge.releaseId;
  if (releaseId === null) {
    badge.setHint(MASTER_LABEL_HINT);
    return;
  }
  for (const keeper of [true, false]) {
    const button = doc.createElement('button');
    button.type = 'button';
    button.setAttribute('data-keepers-label-button', '');
    button.setAttribute('data-keeper', String(keeper));
    button.textContent = keeper ? 'Keeper' : 'Not keeper';
    button.title = keeper ? 'Label as a keeper' : 'Label as not a keeper';
    button.addEventListener(
      'click',
      (event) => {
        event.preventDefault();
        event.stopPropagation();
        // A script on the page can click too (button.click(), dispatchEvent): only the user labels.
        if (!ctx.isTrustedEvent(event)) {
          ctx.report('label-buttons', new Error('ignored a click that did not come from the user (event.isTrusted is false)'));
          return;
        }
        const previous = badge.keeperLabel;
        showLabel(ctx, releaseId, keeper);
        ctx.api.submitLabel(releaseId, keeper, badge.record).catch((error: unknown) => {
          // Not queued: show the previous state again rather than a label that was never saved.
          showLabel(ctx, releaseId, previous);
          ctx.report('label-buttons', error);
        });
      },
      { signal },
    );
    badge.actions.append(button);
  }
  // A release labelled in another row of this page shows its label here too.
  const labelled = ctx.badges.forKey(badge.key).find((b) => b !== badge && b.keeperLabel !== null);
  if (labelled) badge.setLabel(labelled.keeperLabel);
  syncButtons(badge);
}

export const labelButtons = perBadgeAddon('label-buttons', decorate);
