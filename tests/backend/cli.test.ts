// The `keepers` CLI as a user runs it: a real process on a real database file.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/data';
import { FIXTURES, openApp, syntheticReleases, tempDir } from './helpers';
import { upsertReleases } from '../../backend/records';
import { submitLabels } from '../../backend/labels';

const BIN = path.join(REPO_ROOT, 'backend', 'bin', 'keepers.mjs');

function keepers(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('keepers CLI', () => {
  const t = tempDir();
  const env = { KEEPERS_DB: path.join(t.dir, 'cli.sqlite') };
  afterAll(() => t.cleanup());

  it('pair prints the one-time code alone on its last line', async () => {
    const r = await keepers(['pair'], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatch(/^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  });

  it('imports an export as keepers with progress on stderr, reports bad rows and refuses missing files', async () => {
    const ok = await keepers(['import', path.join(FIXTURES, 'collection.csv'), '--as-keepers'], env);
    expect(ok.stderr).not.toMatch(/keepers:/);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Imported 24 records as keeper labels .*collection-csv/);
    expect(ok.stderr).toMatch(/collection\.csv/);
    // The default learner trains at once on the imported keepers (nothing else is stored yet to contrast them with).
    expect(ok.stdout).toMatch(/Warm start: model \d{8}T\d{9}Z learnt from 24 labels \(24 imported keepers\) against 0 unlabelled records/);
    expect(ok.stdout).toMatch(/No unlabelled records yet to contrast the keepers with/);
    const bad = await keepers(['import', path.join(FIXTURES, 'collection-bad-rows.csv')], env);
    expect(bad.code).toBe(0);
    expect(bad.stderr).toMatch(/collection-bad-rows\.csv:3: /);
    expect(bad.stderr).toMatch(/collection-bad-rows\.csv:5: /);
    expect(bad.stdout).toMatch(/2 problem rows skipped/);
    const missing = await keepers(['import', path.join(t.dir, 'nope.csv')], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.csv/);
    const wrongKind = await keepers(['import', path.join(FIXTURES, 'collection.csv'), '--kind', 'shelf'], env);
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toMatch(/--kind must be collection or wantlist/);
  });

  it('resumes per --user: importing the same file for another user reads that user\'s records, not skipping the first run\'s count', async () => {
    const own = { KEEPERS_DB: path.join(t.dir, 'users.sqlite') };
    const lines = path.join(FIXTURES, '..', 'import', 'keepers.jsonl');
    const alice = await keepers(['import', lines, '--user', 'alice'], own);
    expect(alice.code).toBe(0);
    expect(alice.stdout).toMatch(/Imported 2 records/);
    const bob = await keepers(['import', lines, '--user', 'bob'], own);
    expect(bob.stderr).not.toMatch(/keepers:/);
    expect(bob.code).toBe(0);
    expect(bob.stdout).toMatch(/Imported 1 records/);
    const again = await keepers(['import', lines, '--user', 'bob'], own);
    expect(again.stdout).toMatch(/Already imported: all 1 records/);
    const db = await openApp(own.KEEPERS_DB);
    const ids = await db.db.all<{ id: number }>('SELECT id FROM records ORDER BY id');
    await db.close();
    expect(ids.map((r) => r.id)).toEqual([501, 502, 503]);
  });

  it('counts every problem row, not only the 1,000 listed', async () => {
    const own = { KEEPERS_DB: path.join(t.dir, 'problems.sqlite') };
    const file = path.join(t.dir, 'many-bad.csv');
    const header = 'Catalog#,Artist,Title,Label,Format,Rating,Released,release_id,CollectionFolder,Date Added';
    const bad = Array.from({ length: 1005 }, (_, i) => `X${i},A,T${i},L,LP,,1990,not-a-number,Uncategorized,2020-01-01 00:00:00`);
    writeFileSync(file, [header, 'OK1,A,Good,L,LP,,1990,9100001,Uncategorized,2020-01-01 00:00:00', ...bad, ''].join('\n'));
    const r = await keepers(['import', file], own);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Imported 1 records .*; 1005 problem rows skipped\)/);
    expect(r.stderr).toMatch(/many-bad\.csv:3: /);
    expect(r.stderr).toMatch(/… 985 more problems/);
  });

  it('--kind wantlist wins over the collection a CSV export names, and help says so', async () => {
    const own = { KEEPERS_DB: path.join(t.dir, 'kind.sqlite') };
    const r = await keepers(['import', path.join(FIXTURES, 'collection.csv'), '--kind', 'wantlist', '--as-keepers'], own);
    expect(r.code).toBe(0);
    const db = await openApp(own.KEEPERS_DB);
    const kinds = await db.db.all<{ list_kind: string; n: number }>('SELECT list_kind, count(*) AS n FROM list_items GROUP BY list_kind');
    const labels = await db.db.all<{ client_id: string }>("SELECT client_id FROM labels WHERE source = 'import'");
    await db.close();
    expect(kinds).toEqual([{ list_kind: 'wantlist', n: 24 }]);
    expect(labels.every((l) => l.client_id.startsWith('import:wantlist:'))).toBe(true);
    const help = await keepers(['import', '--help'], own);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: keepers import FILE/);
    expect(help.stdout).toMatch(/--kind puts every record in that list, even when the file names one/);
  });

  it('status shows the database, its contents, the model version and the policy', async () => {
    const r = await keepers(['status'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`database        ${env.KEEPERS_DB}`);
    expect(r.stdout).toMatch(/labelled\s+24 \(24 keepers\)/);
    expect(r.stdout).toMatch(/policy\s+neural-ts \(the default\)/);
  });

  it('policy show / set: the default until chosen, a choice kept, unknown names refused with the choices', async () => {
    const own = { KEEPERS_DB: path.join(t.dir, 'policy.sqlite') };
    const shown = await keepers(['policy', 'show'], own);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^policy: neural-ts \(the default: not chosen\)\ndefault: neural-ts\n/);
    expect(shown.stdout).toMatch(/^\* neural-ts /m);
    expect(shown.stdout).toMatch(/^ {2}seed {7}The original specification, exactly/m);
    expect(shown.stdout).toMatch(/^ {2}random /m);
    const set = await keepers(['policy', 'set', 'seed'], own);
    expect(set.code).toBe(0);
    expect(set.stdout).toBe('Policy: seed (was neural-ts). The next batch runs it.\n');
    const after = await keepers(['policy', 'show'], own);
    expect(after.stdout).toMatch(/^policy: seed \(chosen \d{4}-\d\d-\d\dT[^)]+\)\n/);
    expect(after.stdout).toMatch(/^\* seed /m);
    const bad = await keepers(['policy', 'set', 'greedy'], own);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('keepers: unknown policy "greedy": choose one of neural-ts, seed, random (keepers policy show describes them)\n');
    const help = await keepers(['policy', '--help'], own);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: keepers policy show \| keepers policy set NAME/);
    expect(help.stdout).toMatch(/policy set NAME\s+choose the policy for later batches \(neural-ts, seed, random\)/);
  });

  it('lists and revokes devices', async () => {
    const none = await keepers(['devices', 'list'], env);
    expect(none.stdout).toMatch(/No devices paired yet/);
    const r = await keepers(['devices', 'revoke', '41'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no active device 41/);
  });

  it('train retrains from all labels and promotes only if not worse on held-out labels', async () => {
    const app = await openApp(env.KEEPERS_DB);
    const pool = syntheticReleases(120, 300_000);
    await upsertReleases(app.db, pool, 'page');
    // Non-keepers too, so the held-out set has both classes: Jazz is kept, the rest is not.
    await submitLabels(
      app.db,
      null,
      pool.map((r, i) => ({ clientId: `t${i}`, releaseId: r.id, keeper: r.genres.includes('Jazz'), labelledAt: new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString() })),
    );
    await app.close();
    const r = await keepers(['train', '--epochs', '3', '--seed', '5'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Trained \d{8}T\d{9}Z on \d+ labels \(held out \d+\)/);
    const check = await openApp(env.KEEPERS_DB);
    const full = await check.db.get<{ status: string; metrics_json: string; version: string }>("SELECT status, metrics_json, version FROM model_versions WHERE kind = 'full'");
    const active = await check.db.get<{ active_version: string }>('SELECT active_version FROM bandit_models');
    const decision = await check.db.get<{ data_json: string }>("SELECT data_json FROM decision_log WHERE kind = 'full-training'");
    await check.close();
    const d = JSON.parse(decision!.data_json) as { promoted: boolean; candidate: { logLoss: number }; incumbent: { logLoss: number } };
    expect(d.promoted).toBe(d.candidate.logLoss <= d.incumbent.logLoss + 1e-9);
    expect(full!.status).toBe(d.promoted ? 'ready' : 'rejected');
    expect(active!.active_version === full!.version).toBe(d.promoted);
    expect(r.stdout).toMatch(d.promoted ? /Promoted/ : /Not promoted/);
    expect(JSON.parse(full!.metrics_json)).toHaveProperty('holdoutAuc');
  });

  it('serve logs where it listens and where the database is, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [BIN, 'serve'], { cwd: REPO_ROOT, env: { ...process.env, ...env, PORT: '0', LOG_LEVEL: 'info' } });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in: ${out}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/trpc) \(database ([^)]+)\)/.exec(out);
        if (m) {
          clearTimeout(timer);
          expect(m[2]).toBe(env.KEEPERS_DB);
          resolve(m[1]!);
        }
      });
    });
    const health = (await (await fetch(`${url}/health`)).json()) as { result: { data: { ok: boolean } } };
    expect(health.result.data.ok).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
