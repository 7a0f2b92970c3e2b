// Pairing and tokens through createCaller (the logic) and CORS over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { App } from '../../backend/app';
import { createPairingCode, PAIRING_CODE_TTL_MS, sha256Hex } from '../../backend/auth';
import { bearerToken } from '../../backend/trpc';
import type { RunningServer } from '../../backend/server';
import { callerFor, errorOf, openApp, tempDir, withServer } from './helpers';

describe('devices and auth', () => {
  const t = tempDir();
  let app: App;
  let server: RunningServer;

  beforeAll(async () => {
    app = await openApp(path.join(t.dir, 'auth.sqlite'));
    server = await withServer(app);
  });
  afterAll(async () => {
    await server.close();
    await app.close();
    t.cleanup();
  });

  it('exchanges a code once for a token that is stored only as a hash', async () => {
    const { code } = await createPairingCode(app.db);
    expect(code).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
    const anon = await callerFor(app, null);
    // People type codes in lower case and without the dash.
    const { token, deviceId } = await anon.devices.pair({ pairingCode: code.toLowerCase().replace('-', ''), deviceName: 'Chrome on desk' });
    const row = await app.db.get<{ token_hash: string }>('SELECT token_hash FROM devices WHERE id = ?', [deviceId]);
    expect(row!.token_hash).toBe(sha256Hex(token));
    const dump = JSON.stringify(await app.db.all('SELECT * FROM devices')) + JSON.stringify(await app.db.all('SELECT * FROM pairing_codes'));
    expect(dump).not.toContain(token);
    expect(dump).not.toContain(code.replace('-', ''));
    const again = await errorOf(anon.devices.pair({ pairingCode: code, deviceName: 'thief' }));
    expect(again).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(again.message).toMatch(/already used/);
    const me = await callerFor(app, token);
    expect((await me.devices.list()).map((d) => d.name)).toEqual(['Chrome on desk']);
  });

  it('refuses expired and unknown codes', async () => {
    const { code } = await createPairingCode(app.db, new Date(Date.now() - PAIRING_CODE_TTL_MS - 1000));
    const anon = await callerFor(app, null);
    expect((await errorOf(anon.devices.pair({ pairingCode: code, deviceName: 'late' }))).message).toMatch(/expired/);
    expect((await errorOf(anon.devices.pair({ pairingCode: 'AAAA-BBBB', deviceName: 'guess' }))).message).toMatch(/Unknown pairing code/);
    const bad = await errorOf(anon.devices.pair({ pairingCode: 'AAAA-BBBB', deviceName: '' }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/deviceName/);
  });

  it('requires a live token for everything but health and pair', async () => {
    const anon = await callerFor(app, null);
    expect((await anon.health()).ok).toBe(true);
    for (const call of [() => anon.models.latest(), () => anon.labels.since({ cursor: 0 }), () => anon.bandit.selectBatch({}), () => anon.metrics.summary()]) {
      expect((await errorOf(call())).code).toBe('UNAUTHORIZED');
    }
    const { code } = await createPairingCode(app.db);
    const { token, deviceId } = await anon.devices.pair({ pairingCode: code, deviceName: 'old phone' });
    const dev = await callerFor(app, token);
    await dev.devices.revoke({ deviceId });
    expect((await errorOf((await callerFor(app, token)).models.latest())).code).toBe('UNAUTHORIZED');
    expect((await errorOf(dev.devices.revoke({ deviceId: 9999 }))).code).toBe('NOT_FOUND');
  });

  it('reads bearer tokens from the header', () => {
    expect(bearerToken('Bearer kp_abc')).toBe('kp_abc');
    expect(bearerToken('bearer   kp_abc ')).toBe('kp_abc');
    expect(bearerToken('Basic xyz')).toBeNull();
    expect(bearerToken(undefined)).toBeNull();
  });

  it('allows CORS for extension and localhost origins only', async () => {
    const url = `${server.url}/health`;
    const pre = await fetch(url, { method: 'OPTIONS', headers: { origin: 'chrome-extension://abcdefghijklmnop', 'access-control-request-method': 'GET' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('chrome-extension://abcdefghijklmnop');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const dev = await fetch(url, { headers: { origin: 'http://localhost:3000' } });
    expect(dev.status).toBe(200);
    expect(dev.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    const evil = await fetch(url, { headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(await evil.text()).toMatch(/not allowed/);
    const plain = await fetch(url);
    expect(plain.status).toBe(200);
    expect(((await plain.json()) as { result: { data: { ok: boolean } } }).result.data.ok).toBe(true);
    expect((await fetch(server.url.replace('/trpc', '/elsewhere'))).status).toBe(404);
  });
});
