// Options: backend address and pairing code, per-feature toggles, tfjs backend, "forget this device".
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { BackendPreference, ExtensionStatus } from '../core/messaging';
import { FEATURE_TOGGLES } from '../core/features';
import { knowledgeLine, syncLine } from './format';

export interface OptionsApi {
  getStatus(): Promise<ExtensionStatus>;
  pairDevice(backendUrl: string, pairingCode: string, deviceName: string): Promise<{ deviceId: number }>;
  forgetDevice(): Promise<unknown>;
  syncNow(): Promise<unknown>;
  getFeatureToggles(): Promise<Record<string, boolean>>;
  setFeatureToggles(toggles: Record<string, boolean>): Promise<Record<string, boolean>>;
  setBackendPreference(preference: BackendPreference): Promise<unknown>;
  /** Asks for access to a backend outside 127.0.0.1 / localhost (must run in the click handler). */
  requestHostAccess(backendUrl: string): Promise<boolean>;
  confirm(question: string): boolean;
}

export function Options({ api }: { api: OptionsApi }) {
  const [status, setStatus] = useState<ExtensionStatus | null>(null);
  const [toggles, setToggles] = useState<Record<string, boolean>>({});
  const [backendUrl, setBackendUrl] = useState('');
  const [code, setCode] = useState('');
  const [deviceName, setDeviceName] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(async () => {
    const s = await api.getStatus();
    setStatus(s);
    setBackendUrl((u) => u || s.sync.backendUrl);
  }, [api]);

  useEffect(() => {
    void refresh().catch((e: Error) => setMessage({ ok: false, text: e.message }));
    void api.getFeatureToggles().then(setToggles);
  }, [api, refresh]);

  const act = async (fn: () => Promise<string>) => {
    setBusy(true);
    setMessage(null);
    try {
      setMessage({ ok: true, text: await fn() });
    } catch (e) {
      setMessage({ ok: false, text: (e as Error).message });
    } finally {
      setBusy(false);
      await refresh().catch(() => undefined);
    }
  };

  const pair = (e: Event) => {
    e.preventDefault();
    // The permission prompt must come from the click itself, before any await.
    const access = api.requestHostAccess(backendUrl);
    void act(async () => {
      if (!(await access)) throw new Error(`Access to ${backendUrl} was not granted: the extension cannot reach the backend there.`);
      const { deviceId } = await api.pairDevice(backendUrl, code, deviceName);
      setCode('');
      return `Paired: this browser is device ${deviceId}.`;
    });
  };

  const forget = () => {
    if (!api.confirm('Forget this device? The token and the downloaded model are removed; labels not yet synced stay queued.')) return;
    void act(async () => {
      await api.forgetDevice();
      return 'This device is forgotten. Pair it again to sync.';
    });
  };

  const toggle = (id: string, on: boolean) => {
    void api.setFeatureToggles({ [id]: on }).then(setToggles, (e: Error) => setMessage({ ok: false, text: e.message }));
  };

  const paired = status?.sync.paired ?? false;
  return (
    <main class="options">
      <h1>Discogs Keepers – options</h1>
      {message && (
        <p class={message.ok ? 'ok' : 'error'} role="status" data-testid="options-message">
          {message.text}
        </p>
      )}

      <h2>Backend</h2>
      {paired && status ? (
        <section data-testid="paired">
          <p>
            Paired with <code>{status.sync.backendUrl}</code> as device {status.sync.deviceId}. Sync: {syncLine(status)}.
          </p>
          <button type="button" disabled={busy} onClick={() => void act(async () => (await api.syncNow(), 'Synced.'))}>
            Sync now
          </button>{' '}
          <button type="button" class="danger" disabled={busy} onClick={forget} data-testid="forget">
            Forget this device
          </button>
        </section>
      ) : (
        <form onSubmit={pair} data-testid="pair-form">
          <label class="field">
            Backend URL
            <input name="backendUrl" value={backendUrl} onInput={(e) => setBackendUrl(e.currentTarget.value)} placeholder="http://127.0.0.1:8787" required />
          </label>
          <label class="field">
            Pairing code (from <code>npx keepers pair</code>)
            <input name="pairingCode" value={code} onInput={(e) => setCode(e.currentTarget.value)} placeholder="ABCD-EFGH" autocomplete="off" required />
          </label>
          <label class="field">
            Device name (optional)
            <input name="deviceName" value={deviceName} onInput={(e) => setDeviceName(e.currentTarget.value)} placeholder="Laptop Chrome" />
          </label>
          <button type="submit" class="primary" disabled={busy}>
            Pair
          </button>
        </form>
      )}

      <h2>On Discogs pages</h2>
      {FEATURE_TOGGLES.map((f) => (
        <label class="toggle" key={f.id}>
          <input type="checkbox" name={f.id} checked={toggles[f.id] ?? true} onChange={(e) => toggle(f.id, e.currentTarget.checked)} /> {f.label}
        </label>
      ))}

      <h2>Local model</h2>
      <label class="field">
        tfjs backend
        <select
          name="tfBackend"
          value={status?.scorer.preference ?? 'auto'}
          onChange={(e) => {
            const preference = e.currentTarget.value as BackendPreference;
            void act(async () => (await api.setBackendPreference(preference), `tfjs backend: ${preference}`));
          }}
        >
          <option value="auto">Automatic (GPU WebGL, else WASM)</option>
          <option value="webgl">WebGL</option>
          <option value="wasm">WASM</option>
          <option value="cpu">CPU</option>
        </select>
      </label>
      {status && (
        <p data-testid="scorer-status">
          Active: <strong>{status.scorer.backend ?? 'starting'}</strong> – {status.scorer.reason}. Model: {status.scorer.modelVersion ?? 'untrained (not paired yet)'}, {knowledgeLine(status.scorer.knowledge)}.
        </p>
      )}
    </main>
  );
}
