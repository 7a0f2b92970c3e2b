// "Why shown?": a popover on each badge with the reasons the background computes from the model.
import type { Reason } from '../../shared/schemas';
import type { KeepersBadge } from './badge';
import { perBadgeAddon, type FeatureContext } from './types';

let popoverCounter = 0;

function renderReasons(doc: Document, popover: HTMLElement, reasons: Reason[]): void {
  popover.replaceChildren();
  const title = doc.createElement('h2');
  title.textContent = 'Why shown?';
  popover.append(title);
  if (reasons.length === 0) {
    const empty = doc.createElement('p');
    empty.className = 'status';
    empty.textContent = 'The model has no reasons for this record yet.';
    popover.append(empty);
    return;
  }
  const list = doc.createElement('ul');
  for (const reason of reasons) {
    const item = doc.createElement('li');
    item.setAttribute('data-kind', reason.kind);
    item.textContent = reason.text;
    list.append(item);
  }
  popover.append(list);
}

function renderStatus(doc: Document, popover: HTMLElement, text: string): void {
  const status = doc.createElement('p');
  status.className = 'status';
  status.textContent = text;
  popover.replaceChildren(status);
}

function decorate(badge: KeepersBadge, ctx: FeatureContext): void {
  const { doc, signal } = ctx;
  const id = `keepers-why-${++popoverCounter}`;
  const button = doc.createElement('button');
  button.type = 'button';
  button.textContent = 'Why shown?';
  button.setAttribute('data-keepers-why', '');
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', id);
  const popover = doc.createElement('div');
  popover.id = id;
  popover.className = 'popover';
  popover.setAttribute('role', 'dialog');
  popover.setAttribute('aria-label', 'Why shown?');
  popover.tabIndex = -1;
  popover.hidden = true;

  let loaded = false;
  const close = (returnFocus: boolean): void => {
    popover.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (returnFocus) button.focus();
  };
  const open = (): void => {
    popover.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    popover.focus();
    if (loaded) return;
    renderStatus(doc, popover, 'Asking the model…');
    ctx.api
      // The badge's own numbers go along, so the reasons state what the badge shows.
      .explainRecord(badge.record, {
        strategy: badge.score.strategy,
        mean: badge.score.mean,
        uncertainty: badge.score.uncertainty,
        aleatoric: badge.score.aleatoric,
        learned: badge.score.learned,
      })
      .then((result) => {
        loaded = true;
        renderReasons(doc, popover, result.reasons);
      })
      .catch((error: unknown) => {
        renderStatus(doc, popover, 'Reasons are unavailable right now (is Discogs Keepers paired?).');
        ctx.report('why-shown', error);
      });
  };

  button.addEventListener(
    'click',
    (event) => {
      // The badge sits inside links and clickable rows: the page must not act on our clicks.
      event.preventDefault();
      event.stopPropagation();
      if (popover.hidden) open();
      else close(false);
    },
    { signal },
  );
  popover.addEventListener('click', (event) => event.stopPropagation(), { signal });
  // A click anywhere else on the page closes the popover, as a menu would.
  doc.addEventListener(
    'click',
    (event) => {
      if (!popover.hidden && !event.composedPath().includes(badge.host)) close(false);
    },
    { signal },
  );
  badge.root.addEventListener(
    'keydown',
    (event) => {
      if ((event as KeyboardEvent).key === 'Escape' && !popover.hidden) {
        event.stopPropagation();
        close(true);
      }
    },
    { signal },
  );
  badge.actions.append(button);
  badge.root.append(popover);
}

export const whyShown = perBadgeAddon('why-shown', decorate);
