// The SQL of pairing codes and devices. Only hashes of codes and tokens are stored (see ./pairing.ts).
import type { Db, Queries } from '../db';

export async function insertPairingCode(db: Db, codeHash: string, createdAt: string, expiresAt: string): Promise<void> {
  await db.write((q) => q.run('INSERT INTO pairing_codes (code_hash, created_at, expires_at) VALUES (?, ?, ?)', [codeHash, createdAt, expiresAt]));
}

/** Read outside the write lock: a wrong code is answered without waiting for writers. */
export async function pairingCodeExists(db: Db, codeHash: string): Promise<boolean> {
  return Boolean(await db.get('SELECT 1 AS one FROM pairing_codes WHERE code_hash = ?', [codeHash]));
}

export async function pairingCode(q: Queries, codeHash: string): Promise<{ expiresAt: string; usedAt: string | null } | undefined> {
  return q.get<{ expiresAt: string; usedAt: string | null }>('SELECT expires_at AS expiresAt, used_at AS usedAt FROM pairing_codes WHERE code_hash = ?', [codeHash]);
}

/** The new device's id; the code is marked used by it in the same transaction (the caller's). */
export async function insertDeviceForCode(q: Queries, device: { name: string; tokenHash: string; codeHash: string; at: string }): Promise<number> {
  const { lastID } = await q.run('INSERT INTO devices (name, token_hash, created_at) VALUES (?, ?, ?)', [device.name, device.tokenHash, device.at]);
  await q.run('UPDATE pairing_codes SET used_at = ?, device_id = ? WHERE code_hash = ?', [device.at, lastID, device.codeHash]);
  return lastID;
}

export interface Device {
  id: number;
  name: string;
}

/** The unrevoked device with this token hash, or undefined. */
export async function deviceByTokenHash(db: Db, tokenHash: string): Promise<Device | undefined> {
  return db.get<Device>('SELECT id, name FROM devices WHERE token_hash = ? AND revoked_at IS NULL', [tokenHash]);
}

export async function setDeviceLastSeen(db: Db, deviceId: number, at: string): Promise<void> {
  await db.write((q) => q.run('UPDATE devices SET last_seen_at = ? WHERE id = ?', [at, deviceId]));
}

export interface DeviceInfo {
  id: number;
  name: string;
  createdAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
}

export async function listDevices(db: Db): Promise<DeviceInfo[]> {
  return db.all<DeviceInfo>('SELECT id, name, created_at AS createdAt, last_seen_at AS lastSeenAt, revoked_at AS revokedAt FROM devices ORDER BY id');
}

/** Returns false when no such (unrevoked) device exists. */
export async function revokeDevice(db: Db, deviceId: number, now = new Date()): Promise<boolean> {
  const { changes } = await db.write((q) => q.run('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [now.toISOString(), deviceId]));
  return changes === 1;
}
