// Who may send which message to the background. Only this extension's own contexts reach
// runtime.onMessage, but a content script runs inside a Discogs page: if a page ever got code into it,
// it must not be able to pair, forget, sync, choose the policy or read the status. Extension pages
// (popup, options) may send everything; the content script on https://www.discogs.com only what the
// overlay needs; anything else is refused.
export const CONTENT_SCRIPT_MESSAGES: ReadonlySet<string> = new Set(['scoreRecords', 'explainRecord', 'submitLabel', 'getFeatureToggles']);

export interface SenderInfo {
  id?: string;
  url?: string;
}

/** Why `message` from `sender` is refused, or null when it is allowed. */
export function senderRefusal(message: string, sender: SenderInfo, extension: { id: string; origin: string }): string | null {
  if (sender.id !== extension.id) return `message ${message} refused: it does not come from this extension`;
  const url = sender.url ?? '';
  const origin = extension.origin.replace(/\/+$/, '');
  if (url === origin || url.startsWith(`${origin}/`)) return null;
  let host = '';
  let protocol = '';
  try {
    ({ host, protocol } = new URL(url));
  } catch {
    return `message ${message} refused: unknown sender`;
  }
  if (protocol === 'https:' && host === 'www.discogs.com') {
    return CONTENT_SCRIPT_MESSAGES.has(message) ? null : `message ${message} refused: Discogs pages may only score, explain and label records`;
  }
  return `message ${message} refused: sender ${protocol}//${host} is neither this extension nor a Discogs page`;
}
