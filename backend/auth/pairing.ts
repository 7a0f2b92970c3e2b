// Pairing: one-time codes from the CLI are exchanged for bearer tokens. Only sha256 hashes of codes and
// tokens are stored, so a copied database file does not hand out working credentials.
import { createHash, randomBytes, randomInt } from 'node:crypto';
import type { Db } from '../db';
import { DomainError } from '../errors';
import { insertDeviceForCode, insertPairingCode, pairingCode, pairingCodeExists } from './repository';

export const PAIRING_CODE_TTL_MS = 10 * 60 * 1000;
// No 0/O, 1/I/L: the code is read off a terminal and typed into the options page.
const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Codes are compared case-insensitively and ignoring spaces/dashes, as people type them. */
function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

export async function createPairingCode(db: Db, now = new Date()): Promise<{ code: string; expiresAt: string }> {
  let raw = '';
  for (let i = 0; i < 8; i++) raw += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  const expiresAt = new Date(now.getTime() + PAIRING_CODE_TTL_MS).toISOString();
  await insertPairingCode(db, sha256Hex(raw), now.toISOString(), expiresAt);
  return { code: `${raw.slice(0, 4)}-${raw.slice(4)}`, expiresAt };
}

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

const unknownCode = () => new DomainError('unauthorized', 'Unknown pairing code: run `npx keepers pair` and copy the code it prints.');

/**
 * Redeems a code once and creates the device with a fresh token. Expired, used or unknown codes are
 * refused with an 'unauthorized' DomainError.
 */
export async function redeemPairingCode(db: Db, code: string, deviceName: string, now = new Date()): Promise<{ deviceId: number; token: string }> {
  const codeHash = sha256Hex(normaliseCode(code));
  const token = `kp_${randomBytes(32).toString('base64url')}`;
  // A wrong code is answered from the reader, without taking the write lock.
  if (!(await pairingCodeExists(db, codeHash))) throw unknownCode();
  return db.transaction(async (q) => {
    const row = await pairingCode(q, codeHash);
    if (!row) throw unknownCode();
    if (row.usedAt) throw new DomainError('unauthorized', 'This pairing code was already used: run `npx keepers pair` for a new one.');
    if (Date.parse(row.expiresAt) <= now.getTime()) throw new DomainError('unauthorized', 'This pairing code has expired: run `npx keepers pair` for a new one.');
    const deviceId = await insertDeviceForCode(q, { name: deviceName, tokenHash: sha256Hex(token), codeHash, at: now.toISOString() });
    return { deviceId, token };
  });
}

/** devices.pair: redeemPairingCode behind the throttle (a refused code counts as a failure). */
export async function pairDevice(db: Db, throttle: PairingThrottle, code: string, deviceName: string): Promise<{ deviceId: number; token: string }> {
  const wait = throttle.retryAfterMs();
  if (wait > 0) throw new DomainError('rate-limited', `Too many wrong pairing codes: try again in ${Math.ceil(wait / 1000)} s.`);
  try {
    return await redeemPairingCode(db, code, deviceName);
  } catch (err) {
    if (err instanceof DomainError && err.kind === 'unauthorized') throttle.fail();
    throw err;
  }
}
