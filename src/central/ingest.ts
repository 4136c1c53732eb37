// What the centre stores of each message, one short transaction each (the receiver acknowledges
// only after it committed). Invariants:
// - A punch is keyed by its id: a redelivery (at-least-once) is `INSERT … ON CONFLICT DO NOTHING`,
//   never a second row; the first copy stored is the one kept.
// - A gateway's verifier key is taken from its status only while none is recorded (trust on first
//   use, named so in `log_key_source`); a status naming another key later is a log problem, never
//   a new key. Keys from central.yaml outrank both (LogChecker).
// - A watermark only moves forward (a later `at`), whatever order the broker delivers in.
import { PIN_PATTERN } from '../punch/edgeRules.js';
import type { Punch } from '../punch/punch.js';
import type { DeviceStatusPayload } from '../punch/status.js';
import type { Watermark } from '../punch/watermark.js';
import type { Sql } from './store.js';

/** What punch/v1's schema does not say but its contract does (the edge rules a gateway commits by); undefined when it holds. */
export function contractProblem(punch: Punch): string | undefined {
  if (!PIN_PATTERN.test(punch.pin)) return `pin ${JSON.stringify(punch.pin.slice(0, 30))} breaks the PIN rule ${PIN_PATTERN.source}`;
  return undefined;
}

/** Rows per INSERT: 12 parameters a row, well under PostgreSQL's 65,535 parameters a statement. */
const ROWS_PER_INSERT = 1000;

/** Stores `punches` (in the caller's transaction, a statement per 1,000); the ids that were new. */
export async function storePunches(tx: Sql, punches: readonly Punch[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (let from = 0; from < punches.length; from += ROWS_PER_INSERT) {
    const values: unknown[] = [];
    const rows = punches.slice(from, from + ROWS_PER_INSERT).map((punch, i) => {
      values.push(punch.id, punch.gateway, punch.site, punch.device.id, punch.seq, punch.pin, punch.time, punch.utc, punch.state, punch.verify, punch.receivedAt, JSON.stringify(punch));
      return `(${Array.from({ length: 12 }, (_, k) => `$${i * 12 + k + 1}`).join(', ')})`;
    });
    const { rows: added } = await tx.query<{ id: string }>(
      `INSERT INTO punches (id, gateway, site, device_id, seq, pin, local_time, utc, state, verify, received_at, body)
       VALUES ${rows.join(', ')} ON CONFLICT (id) DO NOTHING RETURNING id`,
      values,
    );
    for (const r of added) inserted.add(r.id);
  }
  return inserted;
}

export interface GatewayStatus {
  version?: string;
  logKey?: string;
  [key: string]: unknown;
}

/** Records a status; returns the problem when it names a key other than the one recorded. */
export async function storeStatus(tx: Sql, gateway: string, site: string, status: GatewayStatus): Promise<string | undefined> {
  const logKey = typeof status.logKey === 'string' ? status.logKey : null;
  const { rows } = await tx.query<{ log_key: string | null }>('SELECT log_key FROM gateways WHERE id = $1', [gateway]);
  const recorded = rows[0]?.log_key ?? null;
  await tx.query(
    `INSERT INTO gateways (id, site, log_key, log_key_source, version, status, last_seen) VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (id) DO UPDATE SET site = excluded.site, version = excluded.version, status = excluded.status, last_seen = now(),
       log_key = coalesce(gateways.log_key, excluded.log_key), log_key_source = coalesce(gateways.log_key_source, excluded.log_key_source)`,
    [gateway, site, logKey, logKey ? 'status, trusted on first use' : null, typeof status.version === 'string' ? status.version : null, JSON.stringify(status)],
  );
  return recorded && logKey && recorded !== logKey ? `the status names the key ${logKey}, not the one recorded (${recorded})` : undefined;
}

/** Records a device's retained status under its topic's site and device (the latest one wins). */
export async function storeDeviceStatus(tx: Sql, site: string, device: string, status: DeviceStatusPayload): Promise<void> {
  await tx.query(
    `INSERT INTO devices (site, device_id, gateway, status, updated_at) VALUES ($1, $2, $3, $4, now())
     ON CONFLICT (site, device_id) DO UPDATE SET gateway = coalesce(excluded.gateway, devices.gateway), status = excluded.status, updated_at = now()`,
    [site, device, status.gateway ?? null, JSON.stringify(status)],
  );
}

export async function storeWatermark(tx: Sql, watermark: Watermark): Promise<void> {
  await tx.query(
    `INSERT INTO watermarks (gateway, device_id, complete_through, complete_utc, seq_through, basis, at) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (gateway, device_id) DO UPDATE SET complete_through = excluded.complete_through, complete_utc = excluded.complete_utc,
       seq_through = excluded.seq_through, basis = excluded.basis, at = excluded.at WHERE watermarks.at < excluded.at`,
    [watermark.gateway, watermark.device, watermark.completeThrough, watermark.completeThrough, watermark.seqThrough, watermark.basis, watermark.at],
  );
}

export async function recordProblem(tx: Sql, problem: { gateway: string; origin?: string; kind: string; detail: string; seqFrom?: number; seqTo?: number }): Promise<boolean> {
  const { rows } = await tx.query(
    `INSERT INTO log_problems (gateway, origin, kind, detail, seq_from, seq_to, found_at) VALUES ($1, $2, $3, $4, $5, $6, now())
     ON CONFLICT (gateway, kind, detail) DO NOTHING RETURNING id`,
    [problem.gateway, problem.origin ?? null, problem.kind, problem.detail, problem.seqFrom ?? null, problem.seqTo ?? null],
  );
  return rows.length > 0;
}
