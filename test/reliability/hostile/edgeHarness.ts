// One device on the memory context (test/helpers/memoryContext.ts: the real DriverContext on an
// in-memory SQLite buffer), for the edge-bound properties (edgeBounds.fuzz.test.ts,
// edgePull.fuzz.test.ts): after every case `check` reads what reached the buffer and the device
// state and holds it to the edge rules.
// Invariants checked by `check`, whatever the input:
// - every punch committed since the last check has a PIN matching the rule (NFC), bounded serial
//   and model, and at most 4 KiB of JSON (test/helpers/edgeChecks.ts);
// - every quarantine row written since the last check is bounded (≤ MAX_QUARANTINE_ROW_BYTES);
// - the device state (what the retained status and /api/devices carry) is bounded;
// - every punch a driver handed over is accounted for: read = committed + duplicate + quarantined.
// The buffer is in memory: crash safety is not under test here, and an fsync per case would make
// the suites slow without testing anything more.
import { ok } from 'node:assert/strict';
import type { SqlitePunchBuffer } from '../../../src/buffer/sqlitePunchBuffer.js';
import type { DeviceSnapshot, DeviceStates } from '../../../src/devices/deviceState.js';
import type { BaseDeviceConfig } from '../../../src/devices/driver.js';
import type { Punch } from '../../../src/punch/punch.js';
import type { Metrics } from '../../../src/util/metrics.js';
import { checkSnapshot, checkStoredPunches } from '../../helpers/edgeChecks.js';
import { MemoryContext } from '../../helpers/memoryContext.js';

/** raw punch kept whole up to 4 KiB, or an excerpt of 1,024 characters re-escaped; plus reason and context */
export const MAX_QUARANTINE_ROW_BYTES = 8192;

export interface EdgeHarness {
  ctx: MemoryContext;
  states: DeviceStates;
  buffer: SqlitePunchBuffer;
  snapshot(): DeviceSnapshot;
  /** punches the driver handed over (committed or not) plus inputs it rejected: one per line or event */
  handled(): number;
  /** Holds what changed since the previous check to the edge rules; returns it. */
  check(): Promise<{ punches: Punch[]; quarantined: { reason: string; body: string }[] }>;
  close(): void;
}

export function edgeHarness(device: Omit<BaseDeviceConfig, 'enabled'> & Record<string, unknown>): EdgeHarness {
  const ctx = new MemoryContext({
    device,
    gateway: { id: 'gw-fuzz', site: 'FUZZ', timezone: 'Asia/Jakarta' },
    punches: { minYear: 2000, maxFuture: 86_400_000 * 3650 },
    // a push driver registers with the listener at start; the properties call its handle() directly
    push: { register: () => () => undefined, refused: () => undefined },
  });
  const { states, metrics } = ctx;
  const buffer = ctx.store.buffer;
  const entry = { id: device.id };
  let lastSeq = 0;
  let lastQuarantineRow = 0;
  return {
    ctx,
    states,
    buffer,
    snapshot: () => states.get(entry.id) as DeviceSnapshot,
    handled: () => ctx.settled + ctx.rejections.length,
    check: async () => {
      const punches = checkStoredPunches(buffer.database, lastSeq);
      lastSeq = buffer.headSeq();
      const rows = buffer.database.prepare('SELECT rowid AS n, reason, body FROM quarantine WHERE rowid > ? ORDER BY rowid').all(lastQuarantineRow) as { n: number; reason: string; body: string }[];
      for (const row of rows) ok(Buffer.byteLength(row.body) + Buffer.byteLength(row.reason) <= MAX_QUARANTINE_ROW_BYTES, `quarantine row of ${row.body.length} characters`);
      lastQuarantineRow = rows.at(-1)?.n ?? lastQuarantineRow;
      checkSnapshot(states.get(entry.id));
      await checkAccounting(metrics, entry.id);
      return { punches, quarantined: rows.map(({ reason, body }) => ({ reason, body })) };
    },
    close: () => {
      ctx.abort.abort();
      ctx.store.close();
    },
  };
}

async function sumOf(counter: { get(): Promise<{ values: { value: number; labels: Record<string, unknown> }[] }> }, device: string): Promise<number> {
  return (await counter.get()).values.filter((v) => v.labels.device === device).reduce((sum, v) => sum + v.value, 0);
}

async function checkAccounting(metrics: Metrics, device: string): Promise<void> {
  const [read, committed, duplicate, quarantined] = await Promise.all([
    sumOf(metrics.punchesRead, device),
    sumOf(metrics.punchesCommitted, device),
    sumOf(metrics.punchesDuplicate, device),
    sumOf(metrics.punchesQuarantined, device),
  ]);
  ok(read === committed + duplicate + quarantined, `read ${read} ≠ committed ${committed} + duplicate ${duplicate} + quarantined ${quarantined}`);
}
