// One device on the real DriverContext and a real SQLite buffer, for the edge-bound properties
// (edgeBounds.fuzz.test.ts, edgePull.fuzz.test.ts): after every case `check` reads what reached
// the file and the device state and holds it to the edge rules.
// Invariants checked by `check`, whatever the input:
// - every punch committed since the last check has a PIN matching the rule (NFC), bounded serial
//   and model, and at most 4 KiB of JSON (test/helpers/edgeChecks.ts);
// - every quarantine row written since the last check is bounded (≤ MAX_QUARANTINE_ROW_BYTES);
// - the device state (what the retained status and /api/devices carry) is bounded;
// - every punch a driver handed over is accounted for: read = committed + duplicate + quarantined.
// The buffer runs with synchronous=NORMAL: crash safety is not under test here, and an fsync per
// case would make the suites slow without testing anything more.
import { ok } from 'node:assert/strict';
import { join } from 'node:path';
import { SqlitePunchBuffer } from '../../../src/buffer/sqlitePunchBuffer.js';
import { createDriverContext } from '../../../src/devices/context.js';
import { DeviceStates, type DeviceSnapshot } from '../../../src/devices/deviceState.js';
import type { BaseDeviceConfig, DriverContext } from '../../../src/devices/driver.js';
import type { Punch } from '../../../src/punch/punch.js';
import { silentLogger } from '../../../src/util/logger.js';
import { createMetrics, type Metrics } from '../../../src/util/metrics.js';
import { checkSnapshot, checkStoredPunches } from '../../helpers/edgeChecks.js';
import { tempDir } from '../../helpers/tmp.js';

/** raw punch kept whole up to 4 KiB, or an excerpt of 1,024 characters re-escaped; plus reason and context */
export const MAX_QUARANTINE_ROW_BYTES = 8192;

export interface EdgeHarness {
  ctx: DriverContext;
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
  const tmp = tempDir('edge-fuzz-');
  const buffer = new SqlitePunchBuffer({ file: join(tmp.dir, 'buffer.db'), sinks: ['mqtt'], writer: 'inline', synchronous: 'normal' });
  const states = new DeviceStates();
  const entry = { ...device, enabled: true } as BaseDeviceConfig;
  states.register(entry.id, entry.driver, true, entry.serial);
  const metrics = createMetrics();
  const abort = new AbortController();
  const real = createDriverContext({
    device: entry,
    gateway: { id: 'gw-fuzz', site: 'FUZZ', timezone: 'Asia/Jakarta' },
    punches: { minYear: 2000, maxFuture: 86_400_000 * 3650 },
    buffer,
    states,
    log: silentLogger(),
    metrics,
    signal: abort.signal,
    onFail: () => undefined,
    // a push driver registers with the listener at start; the properties call its handle() directly
    push: { register: () => () => undefined, refused: () => undefined },
  });
  let handled = 0;
  const ctx: DriverContext = {
    ...real,
    status: {
      ...real.status,
      rejected: (reason, detail) => {
        handled += 1;
        real.status.rejected(reason, detail);
      },
    },
    emit: (raw) => real.emit(raw).finally(() => (handled += 1)),
    emitMany: (raws, checkpoint) => real.emitMany(raws, checkpoint).finally(() => (handled += raws.length)),
  };
  let lastSeq = 0;
  let lastQuarantineRow = 0;
  return {
    ctx,
    states,
    buffer,
    snapshot: () => states.get(entry.id) as DeviceSnapshot,
    handled: () => handled,
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
      abort.abort();
      buffer.close();
      tmp.cleanup();
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
