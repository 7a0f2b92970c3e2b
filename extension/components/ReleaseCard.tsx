// One record of the popup's batch: cover, artist, title, label, year, styles, the bandit's strategy,
// the model's keep-probability with its uncertainty and why the backend picked it (the reasons
// bandit.selectBatch gave); before the model has learned from any label, none of those (they would be
// an untrained model's noise), only that it has no labels yet.
import type { PopupBatchItem } from '../core/messaging';
import { formatProbabilityInterval, STRATEGY_TEXT } from '../../shared/format';
import { artistLine, labelLine } from './format';


/** The card's words while the model has learned nothing: every label teaches it equally. */
export const UNLEARNED_CARD_TEXT = 'No labels yet — every label teaches Keepers';

export function ReleaseCard({ item, learned }: { item: PopupBatchItem; learned: boolean }) {
  const r = item.release;
  return (
    <article
      class={`card ${learned ? item.strategy : 'unlearned'}`}
      data-release-id={item.releaseId}
      data-strategy={item.strategy}
      data-learned={String(learned)}
    >
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
        {learned ? (
          <div class="scores">
            <span class={`strategy ${item.strategy}`}>{STRATEGY_TEXT[item.strategy]}</span>
            <span class="prob" title="predicted keep-probability ± uncertainty in percentage points">
              {formatProbabilityInterval(item.mean, item.uncertainty)}
            </span>
          </div>
        ) : (
          <div class="scores">
            <span class="strategy unlearned">{UNLEARNED_CARD_TEXT}</span>
          </div>
        )}
        {learned && item.reasons && item.reasons.length > 0 && (
          <details class="why" data-testid="reasons">
            <summary>Why shown?</summary>
            <ul>
              {item.reasons.map((r) => (
                <li key={r.text} data-kind={r.kind}>
                  {r.text}
                </li>
              ))}
            </ul>
          </details>
        )}
      </div>
    </article>
  );
}
