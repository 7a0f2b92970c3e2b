// Content script on www.discogs.com: finds the records a page shows, has the background score them
// in one batch, and runs the enabled overlay features. It never throws into the page: without a
// background answer (not paired, extension reloading) it renders nothing.
import { defineContentScript } from 'wxt/utils/define-content-script';
import { sendMessage } from '../core/messaging';
import { startKeepers, type KeepersApi } from '../features';

export default defineContentScript({
  matches: ['https://www.discogs.com/*'],
  runAt: 'document_idle',
  main(ctx) {
    const api: KeepersApi = {
      scoreRecords: (records, pageUrl) => sendMessage('scoreRecords', { records, pageUrl }),
      explainRecord: (record, score) => sendMessage('explainRecord', { releaseId: record.releaseId, record, score }),
      submitLabel: (releaseId, keeper, record) => sendMessage('submitLabel', { releaseId, keeper, record }),
      getFeatureToggles: () => sendMessage('getFeatureToggles', undefined),
    };
    startKeepers({ doc: document, api, signal: ctx.signal });
  },
});
