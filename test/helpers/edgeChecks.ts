// What the edge rules promise about a buffer and a device state, as checks shared by the edge
// regression tests and the hostile-input fuzz suites: read from the SQLite file itself, so
// nothing between normalize and the disk is taken on trust. Plain `ok` checks (no `expect`):
// the fuzz suites run them thousands of times.
import { ok } from 'node:assert/strict';
import type { SqliteDatabase } from '../../src/buffer/database.js';
import { listQuarantine, type QuarantineRow } from '../../src/buffer/queries.js';
import type { DeviceSnapshot } from '../../src/devices/deviceState.js';
import { MAX_IDENTITY_CHARS, MAX_PUNCH_JSON_BYTES, PIN_PATTERN, isBoundedText } from '../../src/punch/edgeRules.js';
import type { Punch } from '../../src/punch/punch.js';

/** Committed punches after seq `afterSeq`, as stored (body text and parsed). */
export function storedPunches(db: SqliteDatabase, afterSeq = 0): { body: string; punch: Punch }[] {
  const rows = db.prepare('SELECT body FROM punches WHERE seq > ? ORDER BY seq').all(afterSeq) as { body: string }[];
  return rows.map((r) => ({ body: r.body, punch: JSON.parse(r.body) as Punch }));
}

export function quarantineRows(db: SqliteDatabase): QuarantineRow[] {
  return listQuarantine(db, { limit: 1_000_000 });
}

export function quarantineBodyBytes(db: SqliteDatabase): number[] {
  return (db.prepare('SELECT length(CAST(body AS BLOB)) AS n FROM quarantine').all() as { n: number }[]).map((r) => r.n);
}

const identityOk = (text: string | null | undefined): boolean => text === null || text === undefined || isBoundedText(text, MAX_IDENTITY_CHARS);

/** Every committed punch: PIN by the rule, device identity bounded, JSON within 4 KiB. */
export function checkStoredPunches(db: SqliteDatabase, afterSeq = 0): Punch[] {
  const stored = storedPunches(db, afterSeq);
  for (const { body, punch } of stored) {
    ok(PIN_PATTERN.test(punch.pin), `pin ${JSON.stringify(punch.pin)} breaks the rule`);
    ok(punch.pin.normalize('NFC') === punch.pin, 'pin is NFC');
    ok(identityOk(punch.device.model), `model ${JSON.stringify(punch.device.model?.slice(0, 80))} is not bounded`);
    ok(identityOk(punch.device.serial), `serial ${JSON.stringify(punch.device.serial.slice(0, 80))} is not bounded`);
    ok(Buffer.byteLength(body, 'utf8') <= MAX_PUNCH_JSON_BYTES, `punch of ${Buffer.byteLength(body)} bytes`);
  }
  return stored.map((s) => s.punch);
}

/** What the retained status and /api/devices would carry: identity bounded, serial never cut. */
export function checkSnapshot(snapshot: DeviceSnapshot | undefined): void {
  ok(snapshot, 'device registered');
  for (const field of ['serial', 'model', 'firmware', 'platform'] as const) ok(identityOk(snapshot[field]), `${field} ${JSON.stringify(String(snapshot[field]).slice(0, 80))} is not bounded`);
  ok(JSON.stringify(snapshot.details).length < 128 * 1024, 'details stay small');
  ok((snapshot.lastError ?? '').length <= 500, 'lastError stays short');
}
