// The SQLite layer: promise helpers over `sqlite3`, a writer lock and forward-only migrations.
// Two connections per process: the writer and a reader. sqlite3 interleaves statements from concurrent
// async callers on one connection, so every write goes through `write()` / `transaction()`, which run
// one at a time on the writer (a transaction can never swallow another request's statements), and
// plain reads (`db.get` / `db.all` outside them) go to the reader, which sees committed data only
// (WAL: a reader never waits for the writer and never sees its open transaction).
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

function queriesOf(raw: sqlite3.Database): Queries {
  return {
    run: (sql, params = []) =>
      new Promise((resolve, reject) => {
        raw.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
          if (err) reject(err);
          else resolve({ changes: this.changes, lastID: this.lastID });
        });
      }),
    get: <T>(sql: string, params: Params = []) =>
      new Promise<T | undefined>((resolve, reject) => {
        raw.get(sql, params, (err: Error | null, row: T | undefined) => (err ? reject(err) : resolve(row)));
      }),
    all: <T>(sql: string, params: Params = []) =>
      new Promise<T[]>((resolve, reject) => {
        raw.all(sql, params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
      }),
    exec: (sql) => new Promise((resolve, reject) => raw.exec(sql, (err) => (err ? reject(err) : resolve()))),
  };
}

function openRaw(file: string, mode: number): Promise<sqlite3.Database> {
  return new Promise<sqlite3.Database>((resolve, reject) => {
    const d = new sqlite3.Database(file, mode, (err) => (err ? reject(new Error(`Cannot open database ${file}: ${err.message}`)) : resolve(d)));
  });
}

export class Db implements Queries {
  private lock: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly writer: Queries;
  private reader: Queries;
  private rawReader: sqlite3.Database | null = null;

  private constructor(
    private readonly raw: sqlite3.Database,
    readonly file: string,
  ) {
    this.writer = queriesOf(raw);
    this.reader = this.writer;
  }

  /** Opens (creating the folder and file if needed), sets WAL + foreign keys, migrates, then opens the reader. */
  static async open(file: string, opts: { migrate?: boolean } = {}): Promise<Db> {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const raw = await openRaw(file, sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE);
    const db = new Db(raw, file);
    // The CLI (pair, import) writes while the server runs: wait for the other writer instead of failing.
    await db.exec('PRAGMA busy_timeout = 10000');
    await db.exec('PRAGMA journal_mode = WAL');
    await db.exec('PRAGMA foreign_keys = ON');
    // FULL: a label acknowledged to the extension (which then drops it from its queue) survives a power
    // loss; NORMAL in WAL mode may lose the last commits.
    await db.exec('PRAGMA synchronous = FULL');
    if (opts.migrate !== false) await migrate(db);
    if (file !== ':memory:' && file !== '') {
      const reader = await openRaw(file, sqlite3.OPEN_READONLY);
      db.rawReader = reader;
      db.reader = queriesOf(reader);
      await db.reader.exec('PRAGMA busy_timeout = 10000');
      await db.reader.exec('PRAGMA foreign_keys = ON');
      await db.reader.exec('PRAGMA query_only = ON');
    }
    return db;
  }

  /** Writes outside `write()` / `transaction()` still go to the writer (one statement, autocommit). */
  run(sql: string, params: Params = []): Promise<{ changes: number; lastID: number }> {
    return this.writer.run(sql, params);
  }

  /** Reads committed data (the reader connection): never another request's open transaction. */
  get<T = Record<string, unknown>>(sql: string, params: Params = []): Promise<T | undefined> {
    return this.reader.get<T>(sql, params);
  }

  all<T = Record<string, unknown>>(sql: string, params: Params = []): Promise<T[]> {
    return this.reader.all<T>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.writer.exec(sql);
  }

  /** Runs `fn` holding the writer lock (no transaction): for single statements that must not interleave. */
  write<T>(fn: (q: Queries) => Promise<T>): Promise<T> {
    const result = this.lock.then(() => fn(this.writer));
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
    const reader = this.rawReader;
    if (reader) await new Promise<void>((resolve, reject) => reader.close((err) => (err ? reject(err) : resolve())));
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

/**
 * Applies pending migrations, each in its own transaction; refuses a database newer than this code.
 * Whether a migration is due is decided inside its transaction (BEGIN IMMEDIATE holds the write lock),
 * so two processes opening a fresh file at once (the server and the CLI) never apply one twice.
 */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<number[]> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const latestKnown = Math.max(0, ...migrations.map((m) => m.version));
  const checkNewest = async (q: Queries) => {
    const newest = (await q.get<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations'))?.v ?? 0;
    if (newest > latestKnown) {
      throw new Error(`Database ${db.file} has schema version ${newest}, newer than this program knows (${latestKnown}): upgrade Discogs Keepers.`);
    }
  };
  await db.transaction(checkNewest);
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (q) => {
      await checkNewest(q);
      if (await q.get('SELECT 1 AS one FROM schema_migrations WHERE version = ?', [m.version])) return true;
      await q.exec(m.sql);
      await q.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, new Date().toISOString()]);
      return false;
    });
    if (!done) applied.push(m.version);
  }
  return applied;
}
