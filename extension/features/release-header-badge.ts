// The badge in the heading of a release, master or marketplace item page.
import { KeepersBadge } from './badge';
import type { ContentFeature } from './types';

export const releaseHeaderBadge: ContentFeature = {
  id: 'release-header-badge',
  stage: 'badge',
  apply(targets, ctx) {
    const created: KeepersBadge[] = [];
    for (const { target, score } of targets) {
      if (target.kind !== 'header') continue;
      const badge = new KeepersBadge(ctx.doc, target.record, score, 'header');
      badge.mount(target.placement);
      ctx.badges.add(badge, target.element);
      created.push(badge);
    }
    return created;
  },
};
