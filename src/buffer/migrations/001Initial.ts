// Version 1 of the buffer schema. Never edit after release: add a migration instead.
export const INITIAL_SCHEMA_SQL = `
CREATE TABLE punches (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  device_id   TEXT NOT NULL,
  pin         TEXT NOT NULL,
  utc         TEXT NOT NULL,
  received_at TEXT NOT NULL,
  body        TEXT NOT NULL
);
CREATE INDEX punches_pin_utc ON punches (pin, utc);
CREATE INDEX punches_device_utc ON punches (device_id, utc);
CREATE INDEX punches_utc ON punches (utc);
CREATE INDEX punches_received_at ON punches (received_at);

-- head_seq: the highest seq ever assigned, saved before retention deletes rows, so that a seq is
-- never reused even when every punch has been pruned.
CREATE TABLE buffer_meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE sink_cursors (
  sink       TEXT PRIMARY KEY,
  acked_seq  INTEGER NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE sink_ack_ranges (
  sink     TEXT NOT NULL,
  from_seq INTEGER NOT NULL,
  to_seq   INTEGER NOT NULL,
  acked_at TEXT NOT NULL,
  PRIMARY KEY (sink, to_seq)
) WITHOUT ROWID;

CREATE TABLE dead_letters (
  sink     TEXT NOT NULL,
  seq      INTEGER NOT NULL,
  punch_id TEXT NOT NULL,
  reason   TEXT NOT NULL,
  at       TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 1,
  PRIMARY KEY (sink, seq)
) WITHOUT ROWID;

CREATE TABLE replay_queue (
  sink         TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  requested_at TEXT NOT NULL,
  PRIMARY KEY (sink, seq)
) WITHOUT ROWID;

CREATE TABLE quarantine (
  punch_id    TEXT PRIMARY KEY,
  device_id   TEXT NOT NULL,
  reason      TEXT NOT NULL,
  body        TEXT NOT NULL,
  received_at TEXT NOT NULL
);

CREATE TABLE checkpoints (
  device_id  TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (device_id, key)
) WITHOUT ROWID;
`;
