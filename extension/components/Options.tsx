// Options: backend address and pairing code, the learner policy (paired), per-feature toggles, tfjs
// backend, "forget this device".
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { BackendPreference, ExtensionStatus, PolicySetting } from '../core/messaging';
import { FEATURE_REGISTRY } from '../features/registry';
import { knowledgeLine, syncLine } from './format';

export interface OptionsApi {
  getStatus(): Promise<ExtensionStatus>;
  pairDevice(backendUrl: string, pairingCode: string, deviceName: string): Promise<{ deviceId: number }>;
  forgetDevice(): Promise<unknown>;
  syncNow(): Promise<unknown>;
  getFeatureToggles(): Promise<Record<string, boolean>>;
  setFeatureToggles(toggles: Record<string, boolean>): Promise<Record<string, boolean>>;
  setBackendPreference(preference: BackendPreference): Promise<unknown>;
  /** The backend's learner policy (bandit.policy), paired only. */
  getPolicy(): Promise<PolicySetting>;
  setPolicy(policy: string): Promise<{ policy: string }>;
  /** Asks for access to a backend outside 127.0.0.1 / localhost (must run in the click handler). */
  requestHostAccess(backendUrl: string): Promise<boolean>;
  confirm(question: string): boolean;
}

/** Plain words for a policy where the backend's own line is written for developers. */
const POLICY_WORDS: Record<string, string> = {
  seed: 'the original specification: Monte-Carlo dropout with a fixed exploration schedule',
};

export function policyDescription(p: { name: string; description: string }): string {
  return POLICY_WORDS[p.name] ?? p.description;
}

/** The learner the backend runs, and the choice of another one (bandit.policy / bandit.setPolicy). */
function PolicyChoice({ api, busy, act }: { api: OptionsApi; busy: boolean; act: (fn: () => Promise<string>) => Promise<void> }) {
  const [setting, setSetting] = useState<PolicySetting | null>(null);
  /** The policy just chosen, shown checked until the backend has answered. */
  const [pending, setPending] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(() => {
    setError(null);
    return api.getPolicy().then(setSetting, (e: Error) => setError(e.message));
  }, [api]);

  useEffect(() => {
    void load();
  }, [load]);

  const choose = (policy: string) => {
    setPending(policy);
    void act(async () => {
      try {
        const { policy: chosen } = await api.setPolicy(policy);
        return `Learner set to ${chosen}: the next batches are picked and learned with it.`;
      } finally {
        await load();
        setPending(null);
      }
    });
  };

  return (
    <section data-testid="policy">
      <h2>Learner</h2>
      {error && (
        <p class="error" role="alert" data-testid="policy-error">
          {error}
        </p>
      )}
      {setting && (
        <fieldset disabled={busy}>
          <legend>
            In use: <strong data-testid="policy-current">{setting.policy}</strong>
            {setting.policy === setting.defaultPolicy ? ' (default)' : ''}
          </legend>
          {setting.available.map((p) => (
            <label class="toggle policy" key={p.name}>
              <input type="radio" name="policy" value={p.name} checked={p.name === (pending ?? setting.policy)} onChange={() => choose(p.name)} />{' '}
              <strong>{p.name}</strong>
              {p.name === setting.defaultPolicy ? ' (default)' : ''} – <span class="description">{policyDescription(p)}</span>
            </label>
          ))}
        </fieldset>
      )}
      {!setting && !error && <p>Asking the backend…</p>}
    </section>
  );
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

      {paired && <PolicyChoice api={api} busy={busy} act={act} />}

      <h2>On Discogs pages</h2>
      {FEATURE_REGISTRY.map((f) => (
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
