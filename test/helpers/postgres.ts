// The PostgreSQL server the central tests and the central benchmark use when it answers: on
// loopback, database `test`, trust auth (no password). Each suite makes a database of its own on
// it and drops it after; `postgresReachable()` is how they decide to run or skip, saying so.
import pg from 'pg';

export const POSTGRES_SERVER = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' } as const;

/** `postgres://` URL of `database` on the test server */
export function postgresUrl(database: string): string {
  return `postgres://${POSTGRES_SERVER.user}@${POSTGRES_SERVER.host}:${POSTGRES_SERVER.port}/${database}`;
}

/** true when the test server accepts a connection within a second */
export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ ...POSTGRES_SERVER, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}
