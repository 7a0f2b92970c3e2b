// Devices and pairing: one-time codes from the CLI are exchanged for bearer tokens. Only sha256 hashes
// of codes and tokens are stored, so a copied database file does not hand out working credentials.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Db } from '../db';

export const PAIRING_CODE_TTL_MS = 10 * 60 * 1000;
// No 0/O, 1/I/L: the code is read off a terminal and typed into the options page.
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Codes are compared case-insensitively and ignoring spaces/dashes, as people type them. */
export function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

export async function createPairingCode(db: Db, now = new Date()): Promise<{ code: string; expiresAt: string }> {
  let raw = '';
  for (let i = 0; i < 8; i++) raw += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  const expiresAt = new Date(now.getTime() + PAIRING_CODE_TTL_MS).toISOString();
  await db.write((q) =>
    q.run('INSERT INTO pairing_codes (code_hash, created_at, expires_at) VALUES (?, ?, ?)', [sha256Hex(raw), now.toISOString(), expiresAt]),
  );
  return { code: `${raw.slice(0, 4)}-${raw.slice(4)}`, expiresAt };
}

export class PairingError extends Error {}

/**
 * Failed pairing attempts, per process: after `maxFailures` wrong codes within `windowMs`, every attempt
 * is refused until the window has passed (8 characters from 31 are ~2^40 codes; this keeps guessing
 * at 10 a minute). A refused attempt never reaches the database.
 */
export class PairingThrottle {
  private failures: number[] = [];
  constructor(
    readonly maxFailures = 10,
    readonly windowMs = 60_000,
  ) {}

  /** Milliseconds until the next attempt is allowed, or 0. */
  retryAfterMs(now = Date.now()): number {
    this.failures = this.failures.filter((t) => now - t < this.windowMs);
    if (this.failures.length < this.maxFailures) return 0;
    return this.failures[0]! + this.windowMs - now;
  }

  fail(now = Date.now()): void {
    this.failures.push(now);
  }
}

/** Redeems a code once (expired or used codes are refused) and creates the device with a fresh token. */
export async function redeemPairingCode(db: Db, code: string, deviceName: string, now = new Date()): Promise<{ deviceId: number; token: string }> {
  const codeHash = sha256Hex(normaliseCode(code));
  const token = `kp_${randomBytes(32).toString('base64url')}`;
  // A wrong code is answered from the reader, without taking the write lock.
  if (!(await db.get('SELECT 1 AS one FROM pairing_codes WHERE code_hash = ?', [codeHash]))) {
    throw new PairingError('Unknown pairing code: run `npx keepers pair` and copy the code it prints.');
  }
  return db.transaction(async (q) => {
    const row = await q.get<{ expires_at: string; used_at: string | null }>('SELECT expires_at, used_at FROM pairing_codes WHERE code_hash = ?', [codeHash]);
    if (!row) throw new PairingError('Unknown pairing code: run `npx keepers pair` and copy the code it prints.');
    if (row.used_at) throw new PairingError('This pairing code was already used: run `npx keepers pair` for a new one.');
    if (Date.parse(row.expires_at) <= now.getTime()) throw new PairingError('This pairing code has expired: run `npx keepers pair` for a new one.');
    const { lastID } = await q.run('INSERT INTO devices (name, token_hash, created_at) VALUES (?, ?, ?)', [deviceName, sha256Hex(token), now.toISOString()]);
    await q.run('UPDATE pairing_codes SET used_at = ?, device_id = ? WHERE code_hash = ?', [now.toISOString(), lastID, codeHash]);
    return { deviceId: lastID, token };
  });
}

export interface Device {
  id: number;
  name: string;
}

/** The device a bearer token belongs to, or null (unknown or revoked). */
export async function deviceForToken(db: Db, token: string | null | undefined): Promise<Device | null> {
  if (!token) return null;
  const row = await db.get<{ id: number; name: string }>('SELECT id, name FROM devices WHERE token_hash = ? AND revoked_at IS NULL', [sha256Hex(token)]);
  return row ?? null;
}

export async function touchDevice(db: Db, deviceId: number, now = new Date()): Promise<void> {
  await db.write((q) => q.run('UPDATE devices SET last_seen_at = ? WHERE id = ?', [now.toISOString(), deviceId]));
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
