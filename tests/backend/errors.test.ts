// Domain code throws DomainError; backend/trpc.ts maps each kind to its tRPC code, keeping the message.
// Every kind through the API, once: over createCaller and over HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { App } from '../../backend/app';
import { createPairingCode } from '../../backend/auth';
import type { RunningServer } from '../../backend/server';
import { callerFor, errorOf, makeClient, openApp, syntheticReleases, tempDir, withServer } from './helpers';

describe('domain errors reach the client as tRPC codes', () => {
  const tmp = tempDir();
  let app: App;
  let server: RunningServer;
  let token: string;

  beforeAll(async () => {
    app = await openApp(path.join(tmp.dir, 'keepers.sqlite'));
    server = await withServer(app);
    const { code } = await createPairingCode(app.db);
    ({ token } = await makeClient(server.url, null).devices.pair.mutate({ pairingCode: code, deviceName: 'errors' }));
  });
  afterAll(async () => {
    await server.close();
    await app.close();
    tmp.cleanup();
  });

  it('precondition: a batch from an empty pool is PRECONDITION_FAILED, saying what to import', async () => {
    const caller = await callerFor(app, token);
    expect(await errorOf(caller.bandit.selectBatch({}))).toMatchObject({ code: 'PRECONDITION_FAILED', message: expect.stringMatching(/^No unlabelled records to choose from: import/) });
    expect(await errorOf(makeClient(server.url, token).bandit.selectBatch.mutate({}))).toMatchObject({ code: 'PRECONDITION_FAILED', httpStatus: 412 });
  });

  it('not-found and invalid: NOT_FOUND and BAD_REQUEST with the domain message', async () => {
    const caller = await callerFor(app, token);
    expect(await errorOf(caller.models.weights({ version: 'nope' }))).toEqual({ code: 'NOT_FOUND', message: 'Unknown model version nope: see models.list.' });
    const [record] = syntheticReleases(1, 7000);
    expect(await errorOf(caller.explain.record({ releaseId: 7001, record: record! }))).toEqual({ code: 'BAD_REQUEST', message: 'record.id 7000 does not match releaseId 7001.' });
    expect(await errorOf(makeClient(server.url, token).devices.revoke.mutate({ deviceId: 999 }))).toMatchObject({ code: 'NOT_FOUND', message: 'No active device 999.', httpStatus: 404 });
  });

  it('unauthorized, then rate-limited: wrong pairing codes are UNAUTHORIZED until the throttle answers TOO_MANY_REQUESTS', async () => {
    const client = makeClient(server.url, null);
    for (let i = 0; i < app.pairingThrottle.maxFailures; i++) {
      expect(await errorOf(client.devices.pair.mutate({ pairingCode: 'WRONG-CODE', deviceName: 'x' }))).toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringMatching(/^Unknown pairing code/) });
    }
    expect(await errorOf(client.devices.pair.mutate({ pairingCode: 'WRONG-CODE', deviceName: 'x' }))).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      message: expect.stringMatching(/^Too many wrong pairing codes: try again in \d+ s\.$/),
    });
  });
});
