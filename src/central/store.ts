// The centre's database: PostgreSQL through `pg`, or PostgreSQL in WASM (PGlite) embedded in
// `central.dataDir` when no `postgres.url` is given — one schema, one dialect, the same SQL.
// Invariants:
// - `transaction` runs its function in one BEGIN … COMMIT on one connection and rolls back when it
//   throws; nothing else is needed from a driver, so the two stay interchangeable.
// - Parameters are always bound ($1, $2 …), never spliced into the text.
// - bigint columns come back as numbers (seq and sizes stay far below 2^53).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

export interface Sql {
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

export interface CentralStore extends Sql {
  /** 'postgres' or 'pglite' */
  readonly engine: string;
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// int8 (bigint) as a JS number, as every size and seq here fits in one
pg.types.setTypeParser(20, (text: string) => Number(text));

export async function openPostgres(url: string, options: { max?: number } = {}): Promise<CentralStore> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 4 });
  // a pool error on an idle client (server restart) must not crash the process; the next query reconnects
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  return {
    engine: 'postgres',
    query: async <Row>(text: string, params?: unknown[]) => ({ rows: (await pool.query(text, params)).rows as Row[] }),
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work({ query: async <Row>(text: string, params?: unknown[]) => ({ rows: (await client.query(text, params)).rows as Row[] }) });
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** PGlite in `dir` (created), or in memory when `dir` is undefined (tests). */
export async function openEmbedded(dir: string | undefined): Promise<CentralStore> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dir) mkdirSync(dir, { recursive: true });
  const db = new PGlite(dir ? join(dir, 'pglite') : undefined, { parsers: { 20: (text: string) => Number(text) } });
  await db.waitReady;
  return {
    engine: 'pglite',
    query: async <Row>(text: string, params?: unknown[]) => ({ rows: (await db.query<Row>(text, params)).rows }),
    transaction: (work) => db.transaction((tx) => work({ query: async <Row>(text: string, params?: unknown[]) => ({ rows: (await tx.query<Row>(text, params)).rows }) })),
    close: () => db.close(),
  };
}
