import { render } from 'preact';
import { browser } from 'wxt/browser';
import { sendMessage } from '../../core/messaging';
import { Popup, type PopupApi } from '../../components/Popup';
import '../../components/popup.css';

const api: PopupApi = {
  getStatus: () => sendMessage('getStatus', undefined),
  getBatch: (fresh) => sendMessage('getBatch', { fresh }),
  submitLabel: (releaseId, keeper, batchId) => sendMessage('submitLabel', { releaseId, keeper, batchId }),
  undoLabel: (clientId) => sendMessage('undoLabel', { clientId }),
  openOptions: () => void browser.runtime.openOptionsPage(),
};

const root = document.getElementById('app');
if (root) render(<Popup api={api} />, root);
