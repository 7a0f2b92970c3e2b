// The facts under the popup: exploration rate, model version, sync state, active tfjs backend.
import type { ExtensionStatus } from '../core/messaging';
import { formatProbability } from '../../shared/format';
import { knowledgeLine, syncLine } from './format';

export function StatusLine({ status, batchNumber, exploreRate }: { status: ExtensionStatus; batchNumber: number; exploreRate: number | null }) {
  const { scorer } = status;
  return (
    <dl class="status">
      <div>
        <dt>Exploration</dt>
        <dd data-testid="explore-rate">
          {exploreRate === null ? 'no batch picked yet' : `${formatProbability(exploreRate)} (batch ${batchNumber})`}
        </dd>
      </div>
      <div>
        <dt>Model</dt>
        <dd data-testid="model-version" title={scorer.modelVersion ?? undefined}>
          {scorer.modelVersion ?? 'untrained'} ({knowledgeLine(scorer.knowledge)})
        </dd>
      </div>
      <div>
        <dt>Sync</dt>
        <dd data-testid="sync-state">{syncLine(status)}</dd>
      </div>
      <div>
        <dt>tfjs</dt>
        <dd data-testid="tf-backend" title={scorer.reason}>
          {scorer.backend ?? 'starting'}
        </dd>
      </div>
    </dl>
  );
}
