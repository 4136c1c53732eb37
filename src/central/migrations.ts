// The centre's schema (DESIGN.md "The centre"), migrated forward on start like the gateway's
// buffer: each version once, in its own transaction, under an advisory lock so that several
// `central` processes starting together on one PostgreSQL do not race; a database migrated by a
// newer centre is refused. Never edit a released version: add one.
import { GatewayError } from '../util/errors.js';
import type { CentralStore } from './store.js';

interface Migration {
  version: number;
  name: string;
  sql: string;
}

const V1 = `
CREATE TABLE gateways (
  id             text PRIMARY KEY,
  site           text NOT NULL,
  log_key        text,
  log_key_source text,
  version        text,
  status         jsonb,
  last_seen      timestamptz NOT NULL
);
CREATE TABLE punches (
  id          text PRIMARY KEY,
  gateway     text NOT NULL,
  site        text NOT NULL,
  device_id   text NOT NULL,
  seq         bigint NOT NULL,
  pin         text NOT NULL,
  local_time  text NOT NULL,
  utc         timestamptz NOT NULL,
  state       text NOT NULL,
  verify      text NOT NULL,
  received_at timestamptz NOT NULL,
  stored_at   timestamptz NOT NULL DEFAULT now(),
  body        jsonb NOT NULL
);
CREATE INDEX punches_gateway_seq ON punches (gateway, seq);
CREATE INDEX punches_device_utc ON punches (gateway, device_id, utc);
CREATE INDEX punches_pin_utc ON punches (pin, utc);
CREATE TABLE checkpoints (
  origin      text NOT NULL,
  size        bigint NOT NULL,
  root        bytea NOT NULL,
  gateway     text NOT NULL,
  epoch       text NOT NULL,
  signed_at   timestamptz NOT NULL,
  note        text NOT NULL,
  status      text NOT NULL,
  detail      text,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (origin, size, root)
);
CREATE INDEX checkpoints_gateway ON checkpoints (gateway, size);
CREATE TABLE log_state (
  origin        text PRIMARY KEY,
  gateway       text NOT NULL,
  verified_size bigint NOT NULL,
  edge          jsonb NOT NULL,
  updated_at    timestamptz NOT NULL
);
CREATE TABLE watermarks (
  gateway          text NOT NULL,
  device_id        text NOT NULL,
  complete_through text NOT NULL,
  complete_utc     timestamptz NOT NULL,
  seq_through      bigint NOT NULL,
  basis            text NOT NULL,
  at               timestamptz NOT NULL,
  PRIMARY KEY (gateway, device_id)
);
CREATE TABLE log_problems (
  id       bigserial PRIMARY KEY,
  gateway  text NOT NULL,
  origin   text,
  kind     text NOT NULL,
  detail   text NOT NULL,
  seq_from bigint,
  seq_to   bigint,
  found_at timestamptz NOT NULL,
  UNIQUE (gateway, kind, detail)
);
`;

// The devices of the fleet as their retained statuses name them (the fleet page): a device status
// topic names site and device, the gateway only in the payload (from 0.1 on); `gateway` is null
// for an older gateway's device until a watermark of it names one. The checkpoints still open
// (pending, incomplete) are indexed: the sweep and the fleet page look only at those.
const V2 = `
CREATE TABLE devices (
  site       text NOT NULL,
  device_id  text NOT NULL,
  gateway    text,
  status     jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (site, device_id)
);
CREATE INDEX devices_gateway ON devices (gateway);
CREATE INDEX checkpoints_open ON checkpoints (gateway, origin) WHERE status IN ('pending', 'incomplete');
`;

export const CENTRAL_MIGRATIONS: Migration[] = [
  { version: 1, name: 'punches, checkpoints, watermarks, gateways, log problems', sql: V1 },
  { version: 2, name: 'devices (retained device statuses); open checkpoints indexed', sql: V2 },
];

/** 32-bit key of the advisory lock the migrations hold ("absc" in ASCII). */
const MIGRATION_LOCK = 0x61627363;

export async function migrateCentral(store: CentralStore, migrations = CENTRAL_MIGRATIONS): Promise<number[]> {
  return store.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)');
    const applied = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const known = Math.max(...migrations.map((m) => m.version));
    const newer = [...applied].filter((v) => v > known);
    if (newer.length > 0) throw new GatewayError('GW_ERR_CENTRAL_STORE_UNAVAILABLE', `the database schema (version ${Math.max(...newer)}) is newer than this centre knows (${known}); upgrade the centre`);
    const done: number[] = [];
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.sql.split(';').map((s) => s.trim()).filter(Boolean)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [migration.version, migration.name]);
      done.push(migration.version);
    }
    return done;
  });
}
