// Buffer schema migrations, applied in order on open, each in its own transaction.
// Invariants:
// - A migration, once released, is never edited: a change is a new row with the next version.
// - `schema_migrations` lists every applied version; a buffer written by a newer gateway than this
//   one (unknown higher version) is refused rather than guessed at.
import { INITIAL_SCHEMA_SQL } from './001Initial.js';
import { PURGED_DEAD_LETTERS_SQL } from './002PurgedDeadLetters.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  { version: 1, name: 'initial', sql: INITIAL_SCHEMA_SQL },
  { version: 2, name: 'purged dead letters', sql: PURGED_DEAD_LETTERS_SQL },
];
