// The pairing (backend URL, device id and the bearer token) lives in the extension origin's IndexedDB,
// not in chrome.storage.local: content scripts can read chrome.storage.local (they run inside Discogs
// pages), but not the extension's IndexedDB (theirs is the page's). Only the background reads it.
// A pairing stored by an earlier version in chrome.storage.local is moved here on first read.
import { storage } from '@wxt-dev/storage';
import type { Pairing } from '../background/storage';
import { idbStore } from './idb';

const DB_NAME = 'keepers-secrets';
const STORE = 'secrets';
const PAIRING_KEY = 'pairing';
/** Where earlier versions kept the pairing (token included) in chrome.storage.local. */
const legacyPairingItem = storage.defineItem<Pairing | null>('local:pairing', { fallback: null });

const withStore = idbStore(DB_NAME, STORE);

/** The same two calls as a @wxt-dev/storage item. */
export const pairingItem = {
  async getValue(): Promise<Pairing | null> {
    const stored = (await withStore<unknown>('readonly', (s) => s.get(PAIRING_KEY))) as Pairing | undefined;
    if (stored) return stored;
    const legacy = await legacyPairingItem.getValue();
    if (!legacy) return null;
    await withStore('readwrite', (s) => s.put(legacy, PAIRING_KEY));
    await legacyPairingItem.removeValue();
    return legacy;
  },
  async setValue(pairing: Pairing | null): Promise<void> {
    if (pairing) await withStore('readwrite', (s) => s.put(pairing, PAIRING_KEY));
    else await withStore('readwrite', (s) => s.delete(PAIRING_KEY));
    await legacyPairingItem.removeValue();
  },
};
