// The device a request comes from (its bearer token), and when it was last seen.
import type { Logger } from 'pino';
import type { Db } from '../db';
import { sha256Hex } from './pairing';
import { deviceByTokenHash, setDeviceLastSeen, type Device } from './repository';

/** The device a bearer token belongs to, or null (unknown or revoked). */
export async function deviceForToken(db: Db, token: string | null | undefined): Promise<Device | null> {
  if (!token) return null;
  return (await deviceByTokenHash(db, sha256Hex(token))) ?? null;
}

/** Records devices' last_seen_at, at most one write a minute per device (it is informational). */
export class DeviceActivity {
  private readonly lastSeen = new Map<number, number>();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  noteSeen(deviceId: number): void {
    const now = Date.now();
    if (now - (this.lastSeen.get(deviceId) ?? 0) < 60_000) return;
    this.lastSeen.set(deviceId, now);
    setDeviceLastSeen(this.db, deviceId, new Date(now).toISOString()).catch((err: unknown) => this.logger.warn({ err }, 'could not record device activity'));
  }
}
