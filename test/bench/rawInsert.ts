// The floor of the ingest rows (run.ts, writerAlone.ts): punch rows in `burst`-row transactions on a
// bare better-sqlite3 connection, with the buffer's schema and pragmas and nothing else.
import Database from 'better-sqlite3';
import { INITIAL_SCHEMA_SQL } from '../../src/buffer/migrations/001Initial.js';
import type { SerializedPunch, UnsequencedPunch } from '../../src/punch/normalize.js';

/** The row the buffer stores for a normalized punch committed with `seq`, in rawInsertMs's column order. */
export function storedRow(p: UnsequencedPunch, json: SerializedPunch, seq: number): unknown[] {
  return [seq, p.id, p.device.id, p.pin, p.utc, p.receivedAt, `${json.open}${seq}${json.close}`];
}

/** Milliseconds to insert `rows` (seq, id, device_id, pin, utc, received_at, body) into a new file. */
export function rawInsertMs(file: string, rows: readonly unknown[][], burst: number): number {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(INITIAL_SCHEMA_SQL);
  const insert = db.prepare('INSERT OR IGNORE INTO punches (seq, id, device_id, pin, utc, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insertMany = db.transaction((batch: readonly unknown[][]) => {
    for (const row of batch) insert.run(...row);
  });
  const started = performance.now();
  for (let i = 0; i < rows.length; i += burst) insertMany(rows.slice(i, i + burst));
  const ms = performance.now() - started;
  db.close();
  return ms;
}
