// Background service worker: the only client of the backend (SECURITY.md: the page boundary) and the
// home of the local model. The model runs here rather than in an offscreen document: tfjs has WebGL
// (OffscreenCanvas) and WASM in the service worker, a page is scored in one call of a few tens of ms,
// and when Chrome stops an idle worker the weights (~91 KB) come back from IndexedDB on the next
// message. One context means no extra message hop, and the same code runs in Firefox, which has no
// offscreen documents. The work itself is in ../background (services with injected storage); this
// file only wires them to the browser.
import { browser } from 'wxt/browser';
import { createBackground } from '../background';
import { browserStorage } from '../background/browserStorage';
import { onMessage } from '../core/messaging';
import { Scorer } from '../core/scorer';
import { senderRefusal } from '../core/senders';

const SYNC_ALARM = 'keepers-sync';
const SYNC_PERIOD_MINUTES = 1;

export default defineBackground(() => {
  const background = createBackground({
    storage: browserStorage(),
    scorer: new Scorer({ wasmPaths: browser.runtime.getURL('/tfjs/' as '/') }),
    defaultDeviceName: () => `Browser extension (${navigator.userAgent.includes('Firefox') ? 'Firefox' : 'Chrome'})`,
  });
  const { handlers } = background;
  const extension = { id: browser.runtime.id, origin: new URL(browser.runtime.getURL('/')).origin };
  // Every message is checked against its sender first (core/senders.ts).
  const handle: typeof onMessage = (type, handler) =>
    onMessage(type, (message) => {
      const refusal = senderRefusal(String(type), message.sender, extension);
      if (refusal) {
        console.warn(`[keepers] ${refusal}`);
        throw new Error(refusal);
      }
      return handler(message);
    });

  handle('scoreRecords', ({ data }) => handlers.scoreRecords(data));
  handle('explainRecord', ({ data }) => handlers.explainRecord(data));
  handle('submitLabel', ({ data }) => handlers.submitLabel(data));
  handle('getFeatureToggles', () => handlers.getFeatureToggles(undefined));
  handle('setFeatureToggles', ({ data }) => handlers.setFeatureToggles(data));
  handle('getStatus', () => handlers.getStatus(undefined));
  handle('getBatch', ({ data }) => handlers.getBatch(data));
  handle('undoLabel', ({ data }) => handlers.undoLabel(data));
  handle('pairDevice', ({ data }) => handlers.pairDevice(data));
  handle('forgetDevice', () => handlers.forgetDevice(undefined));
  handle('setBackendPreference', ({ data }) => handlers.setBackendPreference(data));
  handle('syncNow', () => handlers.syncNow(undefined));
  handle('getPolicy', () => handlers.getPolicy(undefined));
  handle('setPolicy', ({ data }) => handlers.setPolicy(data));

  // Periodic sync of labels and weights; alarms wake a stopped service worker, timers would not.
  void browser.alarms.get(SYNC_ALARM).then((existing) => {
    if (!existing) void browser.alarms.create(SYNC_ALARM, { periodInMinutes: SYNC_PERIOD_MINUTES });
  });
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === SYNC_ALARM) void background.sync.syncNow();
  });
  // A restarted browser (or worker) sends what queued up while it was closed.
  browser.runtime.onStartup.addListener(() => void background.sync.syncNow());
});
