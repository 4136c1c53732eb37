// Version 3: the punch log (DESIGN.md "Punch log: tamper-evident, signed"). `punch_log` holds the
// log's one row: its epoch (16 random hex digits, so a new buffer file is a new log) and its tree
// size; `log_nodes` the complete nodes of the Merkle tree (every leaf, and every node of level 4 and
// up: one of level 1–3 is a hash of at most 8 stored leaves, recomputed when read), which retention
// never deletes, so that proofs stay possible for the whole epoch after the punches are gone.
// A buffer from before the log gets one when every punch from seq 1 is still in it (its leaves are
// appended here); one that retention already thinned cannot be logged honestly and keeps none.
// Never edit after release: add a migration instead.
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { punchLeafHash } from '../../log/jcs.js';
import { CompactRange } from '../../log/merkle.js';

export const PUNCH_LOG_SQL = `
CREATE TABLE punch_log (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  epoch      TEXT NOT NULL,
  size       INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE log_nodes (
  level INTEGER NOT NULL,
  idx   INTEGER NOT NULL,
  hash  BLOB NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;
`;

/** Levels 1–3 are not stored: an eighth of the rows, at most 8 leaves read for one of them. */
export const LOWEST_STORED_NODE_LEVEL = 4;

export function isStoredLevel(level: number): boolean {
  return level === 0 || level >= LOWEST_STORED_NODE_LEVEL;
}

export function newEpoch(): string {
  return randomBytes(8).toString('hex');
}

/** Starts the log of a new or an unthinned buffer (its punches' leaves appended); leaves a thinned one without. */
export function startPunchLog(db: Database.Database): void {
  const { head, count, first } = db
    .prepare(`SELECT max(coalesce((SELECT value FROM buffer_meta WHERE key = 'head_seq'), 0), coalesce((SELECT max(seq) FROM punches), 0)) AS head,
      (SELECT count(*) FROM punches) AS count, coalesce((SELECT min(seq) FROM punches), 1) AS first`)
    .get() as { head: number; count: number; first: number };
  if (count !== head || first !== 1) return;
  const range = new CompactRange();
  const insert = db.prepare('INSERT INTO log_nodes (level, idx, hash) VALUES (?, ?, ?)');
  const page = db.prepare('SELECT body FROM punches WHERE seq > ? ORDER BY seq LIMIT 5000').pluck();
  for (let rows = page.all(0) as string[]; rows.length > 0; rows = page.all(range.size) as string[]) {
    for (const body of rows) {
      for (const node of range.append(punchLeafHash(JSON.parse(body)))) if (isStoredLevel(node.level)) insert.run(node.level, node.index, node.hash);
    }
  }
  db.prepare('INSERT INTO punch_log (id, epoch, size, created_at) VALUES (1, ?, ?, ?)').run(newEpoch(), range.size, new Date().toISOString());
}
