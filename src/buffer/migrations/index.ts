// Buffer schema migrations, applied in order on open, each in its own transaction.
// Invariants:
// - A migration, once released, is never edited: a change is a new row with the next version.
// - `schema_migrations` lists every applied version; a buffer written by a newer gateway than this
//   one (unknown higher version) is refused rather than guessed at.
// - `run`, when given, runs after `sql` in the same transaction (data a statement cannot derive).
import type Database from 'better-sqlite3';
import { INITIAL_SCHEMA_SQL } from './001Initial.js';
import { PURGED_DEAD_LETTERS_SQL } from './002PurgedDeadLetters.js';
import { PUNCH_LOG_SQL, startPunchLog } from './003PunchLog.js';
import { SEEN_COMMANDS_SQL } from './004SeenCommands.js';
import { LEAF_BLOCKS_SQL, moveLeavesIntoBlocks } from './005LeafBlocks.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  run?: (db: Database.Database) => void;
}

export const MIGRATIONS: Migration[] = [
  { version: 1, name: 'initial', sql: INITIAL_SCHEMA_SQL },
  { version: 2, name: 'purged dead letters', sql: PURGED_DEAD_LETTERS_SQL },
  { version: 3, name: 'punch log', sql: PUNCH_LOG_SQL, run: startPunchLog },
  { version: 4, name: 'seen commands', sql: SEEN_COMMANDS_SQL },
  { version: 5, name: 'leaf blocks', sql: LEAF_BLOCKS_SQL, run: moveLeavesIntoBlocks },
];

/** The schema before the punch log: a buffer that keeps none (benchmarks of the log's cost, upgrade tests). */
export const MIGRATIONS_WITHOUT_LOG: Migration[] = MIGRATIONS.filter((m) => m.version < 3);
