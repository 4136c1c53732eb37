// The fingerspot-easylink completeness watermark, basis `paging` (README "Completeness watermark").
// Invariants:
// - Only a paging read of the whole log proves anything: `since` unset (no importSince, not a
//   recovery window), so every row the bridge returned was handed to emitMany and committed (or
//   quarantined by the edge rules); a row that did not map (bad row, another SN) proves nothing.
// - The clock is the terminal's own (`Jam` of /dev/info), read at the start of the cycle, just
//   before the paging; firmware without `Jam` proves nothing. The bridge PC's clock is never used.
// - The rows seen must be at least the terminal's record count read AFTER the paging: the log only
//   grows, so fewer rows means a page went to another client of the bridge's paging session.
// - The log must still start with the row it started with at the last proof; another first row
//   means it was cleared or replaced behind the gateway, and the watermark freezes (punches made
//   since the last read may be gone). The gateway itself never deletes scans on a terminal.
import type { DriverContext } from '../../src/devices/driver.js';
import { completeThroughOfReading } from '../../src/devices/watermark.js';
import { CHECKPOINT_KEY, loadCheckpoint, type PagingPlan, type PassResult } from './reads.js';

const LOG_REPLACED = 'the terminal log no longer starts with the row it started with at the last proven paging (cleared or replaced behind the gateway): punches made since may be gone';

export interface PagingProof {
  ctx: DriverContext;
  serial: string;
  /** the terminal clock (`Jam`) read just before the paging, device wall time */
  readingLocal: string | undefined;
  plan: PagingPlan;
  result: PassResult;
  /** the terminal's record count now (/dev/info after the paging); undefined when it tells none */
  recordsNow(): Promise<number | undefined>;
}

/** Declares the watermark a complete paging read proves; returns why it proves none, else undefined. */
export async function proveByPaging(p: PagingProof): Promise<string | undefined> {
  if (p.plan.since !== undefined) return 'the read skipped rows before a floor (importSince or a recovery window)';
  if (p.readingLocal === undefined) return 'the terminal reports no clock (no Jam in /dev/info)';
  if (p.result.rejected > 0 || p.result.skipped > 0) return 'the log holds rows the gateway could not commit';
  const proven = loadCheckpoint(p.ctx, p.serial).provenFirstRow;
  if (typeof proven === 'string' && proven !== p.result.first) {
    p.ctx.watermark.freeze(LOG_REPLACED);
    return 'the log was cleared or replaced';
  }
  const records = await p.recordsNow();
  if (records === undefined) return 'the terminal reports no record count';
  if (p.result.rows < records) return `the paging saw ${p.result.rows} rows of ${records}`;
  await p.ctx.watermark.advance({ completeThroughLocal: completeThroughOfReading(p.readingLocal), basis: 'paging' });
  p.ctx.checkpoint.set(CHECKPOINT_KEY, { ...loadCheckpoint(p.ctx, p.serial), provenFirstRow: p.result.first ?? null });
  return undefined;
}
