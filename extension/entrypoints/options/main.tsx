import { render } from 'preact';
import { browser } from 'wxt/browser';
import { sendMessage } from '../../core/messaging';
import { normaliseBackendUrl } from '../../core/backendClient';
import { Options, type OptionsApi } from '../../components/Options';
import '../../components/popup.css';

/** 127.0.0.1 and localhost are in host_permissions; any other backend host is asked for when paired with. */
function requestHostAccess(backendUrl: string): Promise<boolean> {
  let origin: string;
  try {
    origin = new URL(normaliseBackendUrl(backendUrl)).origin;
  } catch {
    return Promise.resolve(true); // pairDevice reports the bad address with its reason
  }
  const host = new URL(origin).hostname;
  if (host === '127.0.0.1' || host === 'localhost') return Promise.resolve(true);
  return browser.permissions.request({ origins: [`${origin}/*`] });
}

const api: OptionsApi = {
  getStatus: () => sendMessage('getStatus', undefined),
  pairDevice: (backendUrl, pairingCode, deviceName) => sendMessage('pairDevice', { backendUrl, pairingCode, deviceName }),
  forgetDevice: () => sendMessage('forgetDevice', undefined),
  syncNow: () => sendMessage('syncNow', undefined),
  getFeatureToggles: () => sendMessage('getFeatureToggles', undefined),
  setFeatureToggles: (toggles) => sendMessage('setFeatureToggles', toggles),
  setBackendPreference: (preference) => sendMessage('setBackendPreference', { preference }),
  getPolicy: () => sendMessage('getPolicy', undefined),
  setPolicy: (policy) => sendMessage('setPolicy', { policy }),
  requestHostAccess,
  confirm: (q) => window.confirm(q),
};

const root = document.getElementById('app');
if (root) render(<Options api={api} />, root);
