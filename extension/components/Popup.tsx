// The popup: label the bandit's batch of 20, with the mouse or the keyboard
// (K or → keeper, N or ← not a keeper, ↑/↓ move, U or Backspace undo).
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ExtensionStatus, PopupBatch, PopupBatchItem } from '../core/messaging';
import { ReleaseCard, UNLEARNED_CARD_TEXT } from './ReleaseCard';
import { StatusLine } from './StatusLine';
import { formatProbabilityInterval, STRATEGY_TEXT } from '../../shared/format';
import { artistLine } from './format';

/** What the popup asks of the background (sendMessage in the extension, an in-memory one in tests). */
export interface PopupApi {
  getStatus(): Promise<ExtensionStatus>;
  getBatch(fresh: boolean): Promise<PopupBatch>;
  submitLabel(releaseId: number, keeper: boolean, batchId: number): Promise<{ clientId?: string }>;
  undoLabel(clientId: string): Promise<{ removed: boolean }>;
  openOptions(): void;
}

const STATUS_REFRESH_MS = 2000;

function nextUnlabelled(items: PopupBatchItem[], from: number): number {
  for (let k = 1; k <= items.length; k++) {
    const i = (from + k) % items.length;
    if (!items[i]!.label) return i;
  }
  return from;
}

export function Popup({ api }: { api: PopupApi }) {
  const [status, setStatus] = useState<ExtensionStatus | null>(null);
  const [batch, setBatch] = useState<PopupBatch | null>(null);
  const [index, setIndex] = useState(0);
  const [history, setHistory] = useState<number[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const refreshStatus = useCallback(() => api.getStatus().then(setStatus, (e: Error) => setError(e.message)), [api]);

  const loadBatch = useCallback(
    async (fresh: boolean) => {
      setBusy(true);
      setError(null);
      try {
        const b = await api.getBatch(fresh);
        setBatch(b);
        setHistory([]);
        const first = b.items.findIndex((i) => !i.label);
        setIndex(first === -1 ? 0 : first);
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setBusy(false);
        void refreshStatus();
      }
    },
    [api, refreshStatus],
  );

  // Sync and model version change behind the popup's back (a finished batch trains a new version).
  useEffect(() => {
    const timer = setInterval(() => void refreshStatus(), STATUS_REFRESH_MS);
    return () => clearInterval(timer);
  }, [refreshStatus]);

  useEffect(() => {
    void api.getStatus().then(
      (s) => {
        setStatus(s);
        if (s.sync.paired) void loadBatch(false);
      },
      (e: Error) => setError(e.message),
    );
  }, [api, loadBatch]);

  const label = useCallback(
    async (keeper: boolean) => {
      if (!batch || busy) return;
      const item = batch.items[index];
      if (!item) return;
      setBusy(true);
      try {
        const { clientId } = await api.submitLabel(item.releaseId, keeper, batch.batchId);
        const items = batch.items.map((it, i) => (i === index ? { ...it, label: { keeper, clientId: clientId ?? '' } } : it));
        setBatch({ ...batch, items });
        setHistory([...history, index]);
        setIndex(nextUnlabelled(items, index));
      } catch (e) {
        setError((e as Error).message);
      } finally {
        setBusy(false);
        void refreshStatus();
      }
    },
    [api, batch, busy, history, index, refreshStatus],
  );

  const undo = useCallback(async () => {
    if (!batch || busy) return;
    const last = history.length > 0 ? history[history.length - 1]! : batch.items.map((it) => Boolean(it.label)).lastIndexOf(true);
    const item = batch.items[last];
    if (!item?.label) return;
    setBusy(true);
    try {
      await api.undoLabel(item.label.clientId);
      setBatch({ ...batch, items: batch.items.map((it, i) => (i === last ? { ...it, label: null } : it)) });
      setHistory(history.slice(0, -1));
      setIndex(last);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
      void refreshStatus();
    }
  }, [api, batch, busy, history, refreshStatus]);

  // The key listener reads the handlers of the latest render. Effects run after paint, so a listener
  // re-registered by an effect would still hold the previous render's (busy) handler for a key pressed
  // right after the progress line changed, and that key would be lost.
  const keyHandlers = useRef({ label, undo, count: 0 });
  keyHandlers.current = { label, undo, count: batch?.items.length ?? 0 };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.metaKey || e.ctrlKey || e.altKey) return;
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      const { label: labelNow, undo: undoNow, count } = keyHandlers.current;
      if (key === 'k' || key === 'ArrowRight') void labelNow(true);
      else if (key === 'n' || key === 'ArrowLeft') void labelNow(false);
      else if (key === 'u' || key === 'Backspace') void undoNow();
      else if (key === 'ArrowDown' && count > 0) setIndex((i) => Math.min(count - 1, i + 1));
      else if (key === 'ArrowUp' && count > 0) setIndex((i) => Math.max(0, i - 1));
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  if (!status) {
    return <main class="popup">{error ? <p class="error">{error}</p> : <p>Starting…</p>}</main>;
  }

  if (!status.sync.paired) {
    return (
      <main class="popup" data-testid="not-paired">
        <h1>Discogs Keepers</h1>
        <p>
          This browser is not paired with your Keepers backend yet. Badges on Discogs pages already take your Keeper / Not keeper
          labels (kept here until you pair), but the model learns nothing before it is paired: they show no probabilities yet.
          Labelling batches and syncing need the backend.
        </p>
        <ol>
          <li>
            Run <code>npx keepers serve</code> and <code>npx keepers pair</code>.
          </li>
          <li>Enter the address and the code in the options.</li>
        </ol>
        <button type="button" class="primary" onClick={() => api.openOptions()}>
          Open the options
        </button>
        <StatusLine status={status} batchNumber={status.batchNumber} exploreRate={status.exploreRate} />
      </main>
    );
  }

  const items = batch?.items ?? [];
  // The numbers of a model that has learned from no label mean nothing: the cards show none.
  const learned = status.scorer.knowledge.learned;
  const done = items.filter((i) => i.label).length;
  const current = items[index];
  const complete = items.length > 0 && done === items.length;

  return (
    <main class="popup" data-testid="popup">
      <header>
        <h1>Discogs Keepers</h1>
        <span class="progress-text" data-testid="progress">
          {done} / {items.length} labelled
        </span>
      </header>
      <progress max={Math.max(1, items.length)} value={done} />
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {complete ? (
        <section class="done" data-testid="batch-done">
          <p>
            Batch {batch!.batchNumber} labelled: {items.filter((i) => i.label?.keeper).length} keepers of {items.length}. The backend updates the
            model now.
          </p>
          <button type="button" class="primary" disabled={busy} onClick={() => void loadBatch(true)}>
            Next batch
          </button>
        </section>
      ) : current ? (
        <section>
          <ReleaseCard item={current} learned={learned} />
          <div class="actions">
            <button type="button" class="keep" disabled={busy} onClick={() => void label(true)} data-testid="keeper">
              Keeper <kbd>K</kbd>
            </button>
            <button type="button" class="skip" disabled={busy} onClick={() => void label(false)} data-testid="not-keeper">
              Not a keeper <kbd>N</kbd>
            </button>
            <button type="button" class="undo" disabled={busy || done === 0} onClick={() => void undo()} data-testid="undo">
              Undo <kbd>U</kbd>
            </button>
          </div>
        </section>
      ) : (
        <p>{busy ? 'Asking the backend for a batch…' : 'No batch: is the backend running?'}</p>
      )}
      {items.length > 0 && (
        <ol class="batch" aria-label="This batch">
          {items.map((it, i) => (
            <li
              key={it.releaseId}
              class={`${i === index ? 'current ' : ''}${it.label ? (it.label.keeper ? 'kept' : 'rejected') : ''}`}
              onClick={() => setIndex(i)}
              title={learned ? `${STRATEGY_TEXT[it.strategy]}: ${formatProbabilityInterval(it.mean, it.uncertainty)}` : UNLEARNED_CARD_TEXT}
            >
              <span class={`dot ${learned ? it.strategy : 'unlearned'}`} aria-label={learned ? it.strategy : 'no labels yet'} />
              <span class="name">
                {artistLine(it.release, it.releaseId)} – {it.release?.title ?? ''}
              </span>
              <span class="mark">{it.label ? (it.label.keeper ? '✓' : '✗') : ''}</span>
            </li>
          ))}
        </ol>
      )}
      <StatusLine status={status} batchNumber={batch?.batchNumber ?? status.batchNumber} exploreRate={batch?.exploreRate ?? status.exploreRate} />
      <footer class="help">K / → keeper · N / ← not · ↑ ↓ move · U / ⌫ undo</footer>
    </main>
  );
}
