// Replay protection for remote commands: every accepted command id is remembered in the buffer's
// `seen_commands` table (migration 4) until the command expires.
// Invariants:
// - `admit` is one statement on the buffer's own connection: an id is either inserted now (true)
//   or was there already (false); SQLite's primary key decides, so two deliveries of one command
//   racing each other run it once.
// - Rows go only once expired: a command can be refused as `expired` from then on, so the window in
//   which a replay could succeed is never reopened — not by a restart (the table is on disk), not
//   by pruning. Commands live at most commands.maxLifetime, which bounds the table.
import type { SqliteDatabase } from '../buffer/database.js';

export class ReplayGuard {
  private readonly insert;
  private readonly prune;

  constructor(db: SqliteDatabase) {
    this.insert = db.prepare('INSERT OR IGNORE INTO seen_commands (id, expires_at_ms, accepted_at) VALUES (?, ?, ?)');
    this.prune = db.prepare('DELETE FROM seen_commands WHERE expires_at_ms < ?');
  }

  /** True when `id` was never accepted before (and is remembered from now on until `expiresAtMs`). */
  admit(id: string, expiresAtMs: number, nowMs: number): boolean {
    this.prune.run(nowMs);
    return this.insert.run(id, expiresAtMs, new Date(nowMs).toISOString()).changes === 1;
  }
}
