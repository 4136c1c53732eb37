// Version 4: the ids of remote commands a gateway accepted, kept until each expires, so that a
// command replayed after a restart is refused as it would have been before (README "Remote
// commands"). Never edit after release: add a migration instead.
export const SEEN_COMMANDS_SQL = `
CREATE TABLE seen_commands (
  id            TEXT PRIMARY KEY,
  expires_at_ms INTEGER NOT NULL,
  accepted_at   TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX seen_commands_expiry ON seen_commands (expires_at_ms);
`;
