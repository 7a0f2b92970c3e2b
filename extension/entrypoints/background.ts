// Background service worker: the only client of the backend (DESIGN §3) and the home of the local model.
// The model runs here rather than in an offscreen document: tfjs has WebGL (OffscreenCanvas) and WASM in
// the service worker, a page is scored in one call of a few tens of ms, and when Chrome stops an idle
// worker the weights (~91 KB) come back from IndexedDB on the next message. One context means no extra
// message hop, and the same code runs in Firefox, which has no offscreen documents.
import { browser } from 'wxt/browser';
import { onMessage as onAnyMessage } from '../core/messaging';
import { senderRefusal } from '../core/senders';
import { KeepersService } from '../core/service';

const SYNC_ALARM = 'keepers-sync';
const SYNC_PERIOD_MINUTES = 1;

export default defineBackground(() => {
  const service = new KeepersService(browser.runtime.getURL('/tfjs/' as '/'));
  const extension = { id: browser.runtime.id, origin: new URL(browser.runtime.getURL('/')).origin };
  // Every message is checked against its sender first (core/senders.ts).
  const onMessage: typeof onAnyMessage = (type, handler) =>
    onAnyMessage(type, (message) => {
      const refusal = senderRefusal(String(type), message.sender, extension);
      if (refusal) {
        console.warn(`[keepers] ${refusal}`);
        throw new Error(refusal);
      }
      return handler(message);
    });

  onMessage('scoreRecords', ({ data }) => service.scoreRecords(data.records));
  onMessage('explainRecord', ({ data }) => service.explainRecord(data));
  onMessage('submitLabel', ({ data }) => service.submitLabel(data));
  onMessage('getFeatureToggles', () => service.getFeatureToggles());
  onMessage('setFeatureToggles', ({ data }) => service.setFeatureToggles(data));
  onMessage('getStatus', () => service.getStatus());
  onMessage('getBatch', ({ data }) => service.getBatch(data?.fresh ?? false));
  onMessage('undoLabel', ({ data }) => service.undoLabel(data.clientId));
  onMessage('pairDevice', ({ data }) => service.pairDevice(data));
  onMessage('forgetDevice', () => service.forgetDevice());
  onMessage('setBackendPreference', ({ data }) => service.setBackendPreference(data.preference));
  onMessage('syncNow', () => service.syncNow());
  onMessage('getPolicy', () => service.getPolicy());
  onMessage('setPolicy', ({ data }) => service.setPolicy(data.policy));

  // Periodic sync of labels and weights; alarms wake a stopped service worker, timers would not.
  void browser.alarms.get(SYNC_ALARM).then((existing) => {
    if (!existing) void browser.alarms.create(SYNC_ALARM, { periodInMinutes: SYNC_PERIOD_MINUTES });
  });
  browser.alarms.onAlarm.addListener((alarm) => {
    if (alarm.name === SYNC_ALARM) void service.syncNow();
  });
  // A restarted browser (or worker) sends what queued up while it was closed.
  browser.runtime.onStartup.addListener(() => void service.syncNow());
});
