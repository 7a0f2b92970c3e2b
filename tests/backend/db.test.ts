import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Db, loadMigrations, migrate } from '../../backend/db';
import { tempDir } from './helpers';

describe('backend/db', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it('creates the file, migrates once, turns on WAL and foreign keys', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'nested', 'keepers.sqlite');
    const db = await Db.open(file);
    expect((await db.get<{ journal_mode: string }>('PRAGMA journal_mode'))?.journal_mode).toBe('wal');
    expect((await db.get<{ foreign_keys: number }>('PRAGMA foreign_keys'))?.foreign_keys).toBe(1);
    const versions = await db.all<{ version: number }>('SELECT version FROM schema_migrations');
    expect(versions.map((v) => v.version)).toEqual(loadMigrations().map((m) => m.version));
    // A second run applies nothing.
    expect(await migrate(db)).toEqual([]);
    await expect(db.run("INSERT INTO labels (client_id, release_id, keeper, labelled_at, received_at) VALUES ('x', 999, 1, 'a', 'b')")).rejects.toThrow(/FOREIGN KEY/);
    await db.close();
  });

  it('refuses a database written by a newer version of the program', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'k.sqlite');
    const db = await Db.open(file);
    await db.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '999_future', 'now')");
    await db.close();
    await expect(Db.open(file)).rejects.toThrow(/schema version 999, newer than this program knows/);
  });

  it('applies a failing migration not at all', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const dir = path.join(t.dir, 'migrations');
    mkdirSync(dir);
    writeFileSync(path.join(dir, '001_ok.sql'), 'CREATE TABLE a (x INTEGER);');
    writeFileSync(path.join(dir, '002_broken.sql'), 'CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);');
    const db = await Db.open(path.join(t.dir, 'm.sqlite'), { migrate: false });
    await expect(migrate(db, loadMigrations(dir))).rejects.toThrow(/nowhere/);
    const tables = (await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")).map((r) => r.name);
    expect(tables).toContain('a');
    expect(tables).not.toContain('b');
    expect((await db.all('SELECT * FROM schema_migrations')).length).toBe(1);
    await db.close();
  });

  it('rolls a transaction back on error and serialises concurrent writers', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const db = await Db.open(path.join(t.dir, 't.sqlite'), { migrate: false });
    await db.exec('CREATE TABLE c (n INTEGER)');
    await expect(
      db.transaction(async (q) => {
        await q.run('INSERT INTO c VALUES (1)');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.all('SELECT * FROM c')).toEqual([]);
    // 20 transactions that each read, wait, then write: without the writer lock they interleave
    // (nested BEGIN fails or increments are lost).
    await db.run('INSERT INTO c VALUES (0)');
    await Promise.all(
      Array.from({ length: 20 }, () =>
        db.transaction(async (q) => {
          const row = await q.get<{ n: number }>('SELECT n FROM c');
          await new Promise((r) => setTimeout(r, 1));
          await q.run('UPDATE c SET n = ?', [row!.n + 1]);
        }),
      ),
    );
    expect((await db.get<{ n: number }>('SELECT n FROM c'))!.n).toBe(20);
    await db.close();
  });
});
