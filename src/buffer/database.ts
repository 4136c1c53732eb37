// Opening the buffer file: pragmas and forward-only migrations.
// Invariants:
// - WAL journal; `synchronous=FULL` unless the operator chose NORMAL; a busy timeout so the CLI
//   and the daemon can share the file.
// - The connection that commits punches checkpoints the WAL every WAL_CHECKPOINT_PAGES frames
//   (SQLite's default is 1000): the index pages a burst touches again and again are copied into
//   the file once per checkpoint, not once per 4 MB of WAL. A buffer's main connection, beside a
//   writer thread, only checkpoints when the WAL is far beyond that (the writer stopped
//   committing), so that its event loop does not pay for what the writer thread should.
// - Migrations run in order, each in its own IMMEDIATE transaction together with its row in
//   `schema_migrations`; a file from a newer gateway (unknown version) is refused.
import Database from 'better-sqlite3';
import { GatewayError } from '../util/errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export type SqliteDatabase = Database.Database;

export interface OpenOptions {
  synchronous?: 'full' | 'normal';
  readonly?: boolean;
  busyTimeoutMs?: number;
  /** limit the file size in pages (tests of disk-full behaviour) */
  maxPageCount?: number;
  migrations?: Migration[];
  /** false for a second connection to a file another connection already migrated */
  migrate?: boolean;
  /** WAL frames after which this connection's commits checkpoint (default WAL_CHECKPOINT_PAGES) */
  checkpointPages?: number;
}

/**
 * WAL frames (pages) between two checkpoints of the committing connection: 16 MB of WAL. With it
 * the write transaction alone ran at 1.35–1.41× the raw insert's speed, with SQLite's 1000 at
 * 1.16–1.23× (`npm run bench:writer`, back to back).
 */
export const WAL_CHECKPOINT_PAGES = 4000;

export function openDatabase(file: string, options: OpenOptions = {}): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (error) {
    throw new GatewayError('GW_ERR_BUFFER_UNAVAILABLE', `cannot open buffer ${file}: ${(error as Error).message}`, { cause: error });
  }
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`wal_autocheckpoint = ${options.checkpointPages ?? WAL_CHECKPOINT_PAGES}`);
    if (options.maxPageCount) db.pragma(`max_page_count = ${options.maxPageCount}`);
    if (options.migrate !== false) migrate(db, options.migrations ?? MIGRATIONS);
  }
  return db;
}

export function appliedVersions(db: SqliteDatabase): number[] {
  const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[];
  return rows.map((row) => row.version);
}

export function migrate(db: SqliteDatabase, migrations: Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set(appliedVersions(db));
  const known = new Set(migrations.map((m) => m.version));
  const unknown = [...applied].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new GatewayError(
      'GW_ERR_BUFFER_UNAVAILABLE',
      `buffer schema version ${Math.max(...unknown)} is newer than this gateway knows (${Math.max(...known)}); upgrade the gateway instead of downgrading`,
    );
  }
  const insert = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      migration.run?.(db);
      insert.run(migration.version, migration.name, new Date().toISOString());
    }).immediate();
  }
}
