// The SQLite layer: promise helpers over `sqlite3`, a writer lock and forward-only migrations.
// One connection per process. sqlite3 interleaves statements from concurrent async callers on the same
// connection, so every write goes through `write()` / `transaction()`, which run one at a time: a
// transaction can never swallow another request's statements, and concurrent submissions lose nothing.
import sqlite3 from 'sqlite3';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type SqlValue = string | number | bigint | null | Buffer | Uint8Array;
export type Params = SqlValue[] | Record<string, SqlValue>;

/** Statement helpers; the same shape inside and outside a transaction. */
export interface Queries {
  run(sql: string, params?: Params): Promise<{ changes: number; lastID: number }>;
  get<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T | undefined>;
  all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');

export class Db implements Queries {
  private lock: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly raw: sqlite3.Database,
    readonly file: string,
  ) {}

  /** Opens (creating the folder and file if needed), sets WAL + foreign keys and migrates. */
  static async open(file: string, opts: { migrate?: boolean } = {}): Promise<Db> {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(file, (err) => (err ? reject(new Error(`Cannot open database ${file}: ${err.message}`)) : resolve(d)));
    });
    const db = new Db(raw, file);
    // The CLI (pair, import) writes while the server runs: wait for the other writer instead of failing.
    await db.exec('PRAGMA busy_timeout = 10000');
    await db.exec('PRAGMA journal_mode = WAL');
    await db.exec('PRAGMA foreign_keys = ON');
    await db.exec('PRAGMA synchronous = NORMAL');
    if (opts.migrate !== false) await migrate(db);
    return db;
  }

  run(sql: string, params: Params = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) => {
      this.raw.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      });
    });
  }

  get<T = Record<string, unknown>>(sql: string, params: Params = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      this.raw.get(sql, params, (err: Error | null, row: T | undefined) => (err ? reject(err) : resolve(row)));
    });
  }

  all<T = Record<string, unknown>>(sql: string, params: Params = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      this.raw.all(sql, params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
    });
  }

  exec(sql: string): Promise<void> {
    return new Promise((resolve, reject) => this.raw.exec(sql, (err) => (err ? reject(err) : resolve())));
  }

  /** Runs `fn` holding the writer lock (no transaction): for single statements that must not interleave. */
  write<T>(fn: (q: Queries) => Promise<T>): Promise<T> {
    const result = this.lock.then(() => fn(this));
    this.lock = result.catch(() => undefined);
    return result;
  }

  /** Runs `fn` in BEGIN IMMEDIATE … COMMIT under the writer lock; any throw rolls everything back. */
  transaction<T>(fn: (q: Queries) => Promise<T>): Promise<T> {
    return this.write(async (q) => {
      await q.exec('BEGIN IMMEDIATE');
      try {
        const value = await fn(q);
        await q.exec('COMMIT');
        return value;
      } catch (err) {
        await q.exec('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lock;
    await new Promise<void>((resolve, reject) => this.raw.close((err) => (err ? reject(err) : resolve())));
  }
}

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads backend/db/migrations/NNN_name.sql in version order. */
export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 3)), name: f.replace(/\.sql$/, ''), sql: readFileSync(path.join(dir, f), 'utf8') }));
}

/** Applies pending migrations, each in its own transaction; refuses a database newer than this code. */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<number[]> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const done = new Set((await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
  const latestKnown = Math.max(0, ...migrations.map((m) => m.version));
  const newest = Math.max(0, ...done);
  if (newest > latestKnown) {
    throw new Error(`Database ${db.file} has schema version ${newest}, newer than this program knows (${latestKnown}): upgrade Discogs Keepers.`);
  }
  const applied: number[] = [];
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    await db.transaction(async (q) => {
      await q.exec(m.sql);
      await q.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, new Date().toISOString()]);
    });
    applied.push(m.version);
  }
  return applied;
}
