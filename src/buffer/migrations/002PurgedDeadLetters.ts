// Version 2: a purged dead letter is remembered, so "was my punch sent?" does not answer "acked"
// for a punch an operator gave up on. Never edit after release: add a migration instead.
export const PURGED_DEAD_LETTERS_SQL = `
CREATE TABLE purged_dead_letters (
  sink      TEXT NOT NULL,
  seq       INTEGER NOT NULL,
  punch_id  TEXT NOT NULL,
  reason    TEXT NOT NULL,
  purged_at TEXT NOT NULL,
  PRIMARY KEY (sink, seq)
) WITHOUT ROWID;
`;
