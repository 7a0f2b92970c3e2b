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
import { onMessage, type ProtocolMap } from '../core/messaging';
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
  // Every message of core/messaging.ts is answered by its handler (MessageHandlers has one for each),
  // once its sender is checked (core/senders.ts).
  const answer = <K extends keyof ProtocolMap>(type: K): void => {
    onMessage(type, (message) => {
      const refusal = senderRefusal(type, message.sender, extension);
      if (refusal) {
        console.warn(`[keepers] ${refusal}`);
        throw new Error(refusal);
      }
      return handlers[type](message.data);
    });
  };
  for (const type of Object.keys(handlers) as (keyof ProtocolMap)[]) answer(type);

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
