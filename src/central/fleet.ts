// What the fleet page shows (DESIGN.md "The centre"): every gateway and device of the fleet as the
// centre's tables hold them — the retained statuses it stored, the watermarks, the newest punches
// and the state of each gateway's log check. The JSON of `GET /api/fleet`.
// Invariants:
// - Read-only, and cheap on a large `punches` table: per gateway and device only index lookups
//   (punches_gateway_seq, punches_device_utc), never a count or a scan of the punches.
// - A gateway is listed when anything of it arrived (status, checkpoint, watermark, device status)
//   or central.yaml names it; what is unknown of it is null, never a guess.
// - A device belongs to the gateway its status names; a device status without one (an older
//   gateway) is placed by a watermark of the same site and device id, else under `unassigned`.
import type { Sql } from './store.js';

export interface FleetSink {
  sink: string;
  pending: number;
  deadLetters: number;
  oldestPendingAt: string | null;
}

export type LogVerification = 'verified' | 'pending' | 'problem' | 'none';

export interface FleetDevice {
  id: string;
  site: string;
  online: boolean | null;
  /** when the gateway last heard from it, as its status says */
  lastSeen: string | null;
  /** device time (with offset) of the newest punch of it stored at the centre */
  lastPunch: string | null;
  serial: string | null;
  model: string | null;
  clockSkewSec: number | null;
  lastError: string | null;
  completeThrough: string | null;
  seqThrough: number | null;
  watermarkAt: string | null;
  /** when its status was last stored */
  statusAt: string | null;
}

export interface FleetGateway {
  id: string;
  site: string | null;
  online: boolean | null;
  /** when its last status arrived */
  lastSeen: string | null;
  version: string | null;
  startedAt: string | null;
  /** punches waiting at the gateway, over every sink */
  backlog: number | null;
  /** when the oldest of them was committed there */
  oldestUnsentAt: string | null;
  sinks: FleetSink[];
  /** highest seq stored at the centre, and when that punch was stored */
  highestSeq: number | null;
  lastStoredAt: string | null;
  log: {
    state: LogVerification;
    /** the key its checkpoints are checked with, and where the centre got it */
    key: string | null;
    keySource: string | null;
    verifiedSize: number;
    checkpoint: { size: number; status: string; detail: string | null; signedAt: string } | null;
    problems: number;
  };
  devices: FleetDevice[];
}

export interface Fleet {
  centre: { id: string; engine: string };
  generatedAt: string;
  gateways: FleetGateway[];
  unassigned: FleetDevice[];
  problems: { gateway: string; kind: string; detail: string; foundAt: string }[];
}

interface DeviceRow {
  site: string;
  device_id: string;
  gateway: string | null;
  status: Record<string, unknown> | string;
  updated_at: Date;
}

interface WatermarkRow {
  gateway: string;
  device_id: string;
  complete_through: string;
  seq_through: number;
  at: Date;
}

const iso = (value: Date | string | null | undefined): string | null => (value === null || value === undefined ? null : new Date(value).toISOString());
const json = (value: unknown): Record<string, unknown> => (typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : ((value ?? {}) as Record<string, unknown>));
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const numberOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** The sinks of a gateway status's `queue`, in name order; malformed entries are left out. */
export function sinksOf(status: Record<string, unknown>): FleetSink[] {
  const queue = status.queue;
  if (!queue || typeof queue !== 'object' || Array.isArray(queue)) return [];
  return Object.entries(queue as Record<string, unknown>)
    .filter((entry): entry is [string, Record<string, unknown>] => typeof entry[1] === 'object' && entry[1] !== null)
    .map(([sink, q]) => ({ sink, pending: numberOrNull(q.pending) ?? 0, deadLetters: numberOrNull(q.deadLetters) ?? 0, oldestPendingAt: text(q.oldestPendingAt) }))
    .sort((a, b) => a.sink.localeCompare(b.sink));
}

async function deviceOf(db: Sql, gateway: string, row: { site: string; device_id: string; status?: Record<string, unknown>; updated_at?: Date }, watermark: WatermarkRow | undefined): Promise<FleetDevice> {
  const status = row.status ?? {};
  const newest = (await db.query<{ local_time: string }>('SELECT local_time FROM punches WHERE gateway = $1 AND device_id = $2 ORDER BY utc DESC LIMIT 1', [gateway, row.device_id])).rows[0];
  return {
    id: row.device_id,
    site: row.site,
    online: typeof status.online === 'boolean' ? status.online : null,
    lastSeen: text(status.lastSeen),
    lastPunch: newest?.local_time ?? null,
    serial: text(status.serial),
    model: text(status.model),
    clockSkewSec: numberOrNull(status.clockSkewSec),
    lastError: text(status.lastError),
    completeThrough: watermark?.complete_through ?? null,
    seqThrough: watermark?.seq_through ?? null,
    watermarkAt: iso(watermark?.at),
    statusAt: iso(row.updated_at),
  };
}

async function logOf(db: Sql, gateway: string, key: { log_key: string | null; log_key_source: string | null } | undefined, configuredKey: string | undefined): Promise<FleetGateway['log']> {
  const checkpoint = (await db.query<{ size: number; status: string; detail: string | null; signed_at: Date }>('SELECT size, status, detail, signed_at FROM checkpoints WHERE gateway = $1 ORDER BY size DESC, signed_at DESC LIMIT 1', [gateway])).rows[0];
  const verified = (await db.query<{ size: number | null }>('SELECT max(verified_size) AS size FROM log_state WHERE gateway = $1', [gateway])).rows[0]?.size ?? 0;
  const problems = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM log_problems WHERE gateway = $1', [gateway])).rows[0]?.n ?? 0;
  const state: LogVerification = problems > 0 ? 'problem' : !checkpoint ? 'none' : checkpoint.status === 'verified' ? 'verified' : 'pending';
  return {
    state,
    key: configuredKey ?? key?.log_key ?? null,
    keySource: configuredKey ? 'central.yaml' : (key?.log_key_source ?? null),
    verifiedSize: verified ?? 0,
    checkpoint: checkpoint ? { size: checkpoint.size, status: checkpoint.status, detail: checkpoint.detail, signedAt: iso(checkpoint.signed_at) as string } : null,
    problems,
  };
}

export interface FleetOptions {
  centre: { id: string; engine: string };
  /** gateway ids central.yaml names (https tokens, gateways), with their configured verifier keys where given */
  configured: Record<string, string | undefined>;
  now?: () => Date;
}

export async function fleetView(db: Sql, options: FleetOptions): Promise<Fleet> {
  const gateways = new Map((await db.query<{ id: string; site: string; log_key: string | null; log_key_source: string | null; version: string | null; status: unknown; last_seen: Date }>('SELECT id, site, log_key, log_key_source, version, status, last_seen FROM gateways')).rows.map((g) => [g.id, g]));
  // a verified checkpoint has its log_state row, a refused one its log problem: only the open ones are looked up among the checkpoints (checkpoints_open)
  const seen = (
    await db.query<{ gateway: string }>(`SELECT gateway FROM log_state UNION SELECT gateway FROM log_problems UNION SELECT gateway FROM checkpoints WHERE status IN ('pending', 'incomplete')
       UNION SELECT gateway FROM watermarks UNION SELECT gateway FROM devices WHERE gateway IS NOT NULL`)
  ).rows.map((r) => r.gateway);
  const ids = [...new Set([...gateways.keys(), ...seen, ...Object.keys(options.configured)])].sort();
  const watermarks = (await db.query<WatermarkRow>('SELECT gateway, device_id, complete_through, seq_through, at FROM watermarks')).rows;
  const deviceRows = (await db.query<DeviceRow>('SELECT site, device_id, gateway, status, updated_at FROM devices ORDER BY site, device_id')).rows;
  const siteOf = (id: string): string | undefined => gateways.get(id)?.site;
  const byGateway = new Map<string, { site: string; device_id: string; status?: Record<string, unknown>; updated_at?: Date }[]>();
  const unassignedRows: DeviceRow[] = [];
  for (const row of deviceRows) {
    const owner = row.gateway ?? watermarks.find((w) => w.device_id === row.device_id && siteOf(w.gateway) === row.site)?.gateway;
    if (!owner) unassignedRows.push(row);
    else byGateway.set(owner, [...(byGateway.get(owner) ?? []), { ...row, status: json(row.status) }]);
  }
  // a device known only by its watermark (a gateway delivering over HTTPS sends no statuses)
  for (const w of watermarks) {
    const list = byGateway.get(w.gateway) ?? [];
    if (!list.some((d) => d.device_id === w.device_id)) byGateway.set(w.gateway, [...list, { site: siteOf(w.gateway) ?? '', device_id: w.device_id }]);
  }
  const result: FleetGateway[] = [];
  for (const id of ids) {
    const row = gateways.get(id);
    const status = json(row?.status);
    const sinks = sinksOf(status);
    const pendingSince = sinks.filter((s) => s.pending > 0 && s.oldestPendingAt).map((s) => s.oldestPendingAt as string).sort();
    const top = (await db.query<{ seq: number; site: string; stored_at: Date }>('SELECT seq, site, stored_at FROM punches WHERE gateway = $1 ORDER BY seq DESC LIMIT 1', [id])).rows[0];
    const devices: FleetDevice[] = [];
    for (const d of (byGateway.get(id) ?? []).sort((a, b) => a.device_id.localeCompare(b.device_id))) devices.push(await deviceOf(db, id, d, watermarks.find((w) => w.gateway === id && w.device_id === d.device_id)));
    result.push({
      id,
      site: row?.site ?? top?.site ?? null,
      online: typeof status.online === 'boolean' ? status.online : null,
      lastSeen: iso(row?.last_seen),
      version: row?.version ?? null,
      startedAt: text(status.startedAt),
      backlog: sinks.length > 0 ? sinks.reduce((sum, s) => sum + s.pending, 0) : null,
      oldestUnsentAt: pendingSince[0] ?? null,
      sinks,
      highestSeq: top?.seq ?? null,
      lastStoredAt: iso(top?.stored_at),
      log: await logOf(db, id, row, options.configured[id]),
      devices,
    });
  }
  const unassigned: FleetDevice[] = [];
  for (const row of unassignedRows) unassigned.push(await deviceOf(db, '', { ...row, status: json(row.status) }, undefined));
  const problems = (await db.query<{ gateway: string; kind: string; detail: string; found_at: Date }>('SELECT gateway, kind, detail, found_at FROM log_problems ORDER BY found_at DESC, id DESC LIMIT 50')).rows;
  return {
    centre: options.centre,
    generatedAt: (options.now?.() ?? new Date()).toISOString(),
    gateways: result,
    unassigned,
    problems: problems.map((p) => ({ gateway: p.gateway, kind: p.kind, detail: p.detail, foundAt: iso(p.found_at) as string })),
  };
}
