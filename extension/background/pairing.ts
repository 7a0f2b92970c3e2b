// Pairing: a one-time code from `keepers pair` is exchanged for a device token (devices.pair), which
// replaces any earlier pairing with its sync cursor and batch; forgetting drops the token, the cached
// weights and the cursor (unsent labels stay queued).
import { describeBackendError, normaliseBackendUrl } from '../core/backendClient';
import type { BackendConnection } from './connection';
import type { LocalModel } from './localModel';
import { EMPTY_SYNC, type BackgroundStorage, type StorageLock } from './storage';
import type { Sync } from './sync';

export interface PairingDeps {
  storage: Pick<BackgroundStorage, 'pairing' | 'backendUrl' | 'sync' | 'currentBatch'>;
  lock: StorageLock;
  connection: BackendConnection;
  model: LocalModel;
  sync: Sync;
  /** The device name when the user gives none (the browser's name in the extension). */
  defaultDeviceName: () => string;
}

export class DevicePairing {
  constructor(private readonly deps: PairingDeps) {}

  async pairDevice(data: { backendUrl: string; pairingCode: string; deviceName?: string }): Promise<{ deviceId: number }> {
    const { storage, lock, sync } = this.deps;
    const backendUrl = normaliseBackendUrl(data.backendUrl);
    const code = data.pairingCode.trim();
    if (code === '') throw new Error('Pairing code is empty: run `npx keepers pair` and copy the code it prints.');
    const deviceName = data.deviceName?.trim() || this.deps.defaultDeviceName();
    const client = this.deps.connection.createClient(backendUrl, null);
    let result: { deviceId: number; token: string };
    try {
      result = await client.devices.pair.mutate({ pairingCode: code, deviceName });
    } catch (err) {
      throw new Error(`Pairing failed: ${describeBackendError(err)}`);
    }
    await lock.run(async () => {
      await storage.backendUrl.setValue(backendUrl);
      await storage.pairing.setValue({ backendUrl, token: result.token, deviceId: result.deviceId, deviceName });
      await storage.sync.setValue(EMPTY_SYNC);
      await storage.currentBatch.setValue(null);
    });
    // A sync of the previous pairing may still be running: it will not write its cursor over this one
    // (it checks the token); wait for it, then sync with the new backend.
    await sync.settled();
    await sync.syncNow();
    return { deviceId: result.deviceId };
  }

  async forgetDevice(): Promise<{ ok: true }> {
    const { storage, lock } = this.deps;
    await lock.run(async () => {
      await storage.pairing.setValue(null);
      await storage.sync.setValue(EMPTY_SYNC);
      await storage.currentBatch.setValue(null);
    });
    await this.deps.model.forget();
    return { ok: true };
  }
}
