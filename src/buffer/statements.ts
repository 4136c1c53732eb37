// Prepared statements of the SQLite buffer, in one place so the queries and their indexes can be
// read together with migrations/001Initial.ts.
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';

export type Statements = ReturnType<typeof createStatements>;

export function createStatements(db: SqliteDatabase) {
  const s = (sql: string): Statement => db.prepare(sql);
  const multiRow = new Map<number, Statement>();
  return {
    headSeq: s(`SELECT max(
        coalesce((SELECT value FROM buffer_meta WHERE key = 'head_seq'), 0),
        coalesce((SELECT max(seq) FROM punches), 0)) AS head`),
    saveHeadSeq: s(`INSERT INTO buffer_meta (key, value) VALUES ('head_seq', ?)
        ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`),
    insertPunch: s(`INSERT OR IGNORE INTO punches (seq, id, device_id, pin, utc, received_at, body)
        VALUES (?, ?, ?, ?, ?, ?, ?)`),
    /** `insertPunch` for `rows` rows in one statement (writeBatches), prepared once per row count */
    insertPunches(rows: number): Statement {
      let statement = multiRow.get(rows);
      if (!statement) {
        statement = s(`INSERT OR IGNORE INTO punches (seq, id, device_id, pin, utc, received_at, body)
        VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`);
        multiRow.set(rows, statement);
      }
      return statement;
    },
    /** undoes a multi-row insert within its transaction: every seq from the first it assigned */
    deletePunchesFrom: s('DELETE FROM punches WHERE seq >= ?'),
    seqOfId: s('SELECT seq FROM punches WHERE id = ?'),
    insertQuarantine: s(`INSERT OR IGNORE INTO quarantine (punch_id, device_id, reason, body, received_at)
        VALUES (?, ?, ?, ?, ?)`),
    upsertCheckpoint: s(`INSERT INTO checkpoints (device_id, key, value, updated_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (device_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
    getCheckpoints: s('SELECT key, value FROM checkpoints WHERE device_id = ?'),
    insertCursor: s('INSERT OR IGNORE INTO sink_cursors (sink, acked_seq, updated_at) VALUES (?, 0, ?)'),
    getCursor: s('SELECT acked_seq FROM sink_cursors WHERE sink = ?'),
    updateCursor: s('UPDATE sink_cursors SET acked_seq = max(acked_seq, ?), updated_at = ? WHERE sink = ?'),
    insertAckRange: s('INSERT OR REPLACE INTO sink_ack_ranges (sink, from_seq, to_seq, acked_at) VALUES (?, ?, ?, ?)'),
    streamAfter: s('SELECT seq, id, device_id, received_at, body FROM punches WHERE seq > ? ORDER BY seq LIMIT ?'),
    replays: s(`SELECT r.seq AS seq, p.id AS id, p.device_id AS device_id, p.received_at AS received_at, p.body AS body FROM replay_queue r
        JOIN punches p ON p.seq = r.seq WHERE r.sink = ? ORDER BY r.seq LIMIT ?`),
    deleteReplay: s('DELETE FROM replay_queue WHERE sink = ? AND seq = ?'),
    upsertDeadLetter: s(`INSERT INTO dead_letters (sink, seq, punch_id, reason, at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (sink, seq) DO UPDATE SET reason = excluded.reason, at = excluded.at, attempts = attempts + 1`),
    pruneChunk: s(`DELETE FROM punches WHERE seq IN (
        SELECT seq FROM punches WHERE seq <= ? AND received_at < ?
          AND seq NOT IN (SELECT seq FROM dead_letters)
          AND seq NOT IN (SELECT seq FROM replay_queue)
        ORDER BY seq LIMIT ?)`),
    pruneAckRanges: s('DELETE FROM sink_ack_ranges WHERE to_seq < coalesce((SELECT min(seq) FROM punches), 0)'),
    prunePurged: s('DELETE FROM purged_dead_letters WHERE seq < coalesce((SELECT min(seq) FROM punches), 0)'),
    pruneQuarantine: s('DELETE FROM quarantine WHERE received_at < ?'),
  };
}
