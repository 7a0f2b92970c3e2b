// A badge on every record row (marketplace listings, versions, discographies, wantlist, collection, search).
import { KeepersBadge } from './badge';
import type { ContentFeature } from './types';

export const recordBadges: ContentFeature = {
  id: 'record-badges',
  stage: 'badge',
  apply(targets, ctx) {
    const created: KeepersBadge[] = [];
    for (const { target, score } of targets) {
      if (target.kind !== 'row') continue;
      // One broken row (a node React just replaced) must not cost the other rows their badges.
      try {
        const badge = new KeepersBadge(ctx.doc, target.record, score, 'row');
        badge.mount(target.placement);
        ctx.badges.add(badge, target.element);
        created.push(badge);
      } catch (error) {
        ctx.report('record-badges', error);
      }
    }
    return created;
  },
};
