// One record of the popup's batch: cover, artist, title, label, year, styles, the bandit's strategy and
// the model's keep-probability with its uncertainty.
import type { PopupBatchItem } from '../core/messaging';
import { artistLine, labelLine, percent } from './format';

export const STRATEGY_TEXT = { exploit: 'High-confidence keeper', explore: 'Learning from this' } as const;

export function ReleaseCard({ item }: { item: PopupBatchItem }) {
  const r = item.release;
  return (
    <article class={`card ${item.strategy}`} data-release-id={item.releaseId} data-strategy={item.strategy}>
      {r?.thumb ? <img class="cover" src={r.thumb} alt="" width={96} height={96} /> : <div class="cover placeholder" aria-hidden="true">♪</div>}
      <div class="details">
        <div class="artist">{artistLine(r, item.releaseId)}</div>
        <div class="title">{r?.title || '(untitled)'}</div>
        <div class="label">{labelLine(r)}</div>
        {r && r.styles.length > 0 && (
          <ul class="styles">
            {r.styles.slice(0, 5).map((s) => (
              <li key={s}>{s}</li>
            ))}
          </ul>
        )}
        <div class="scores">
          <span class={`strategy ${item.strategy}`}>{STRATEGY_TEXT[item.strategy]}</span>
          <span class="prob" title="predicted keep-probability ± uncertainty (spread of the Monte-Carlo passes)">
            {percent(item.mean)} ± {percent(item.uncertainty)}
          </span>
        </div>
      </div>
    </article>
  );
}
