// What one read of a terminal's log committed, counted the same way by every pull driver (zk-tcp,
// zk-soap, hikvision-isapi, fingerspot-easylink): a poll, a reconciliation or a `pull`. A driver's
// own result extends it with how much it read, in its protocol's word (zk-tcp `records`, zk-soap and
// Fingerspot `rows`, Hikvision `events`), and with what only that protocol has (record size, pages,
// a cleared log); those words are in its status details and log lines, so they stay.
// Invariants:
// - `inserted + duplicates` is what the buffer answered for the `emitted` punches (emitMany, through
//   countCommitted); nothing else adds to them. Quarantined punches are in neither.
// - `backfillResultOf` gives `pull` exactly the driver's counts: it drops only `emitted`.
import type { BackfillResult, EmitResult } from './driver.js';

export interface SyncResult {
  /** punches (valid or not) handed to emitMany */
  emitted: number;
  /** punches newly committed */
  inserted: number;
  /** punches the buffer already had (same id) */
  duplicates: number;
  /** records before `since` / `importSince`, never emitted */
  skipped: number;
  /** records that did not decode or map, each counted with status.rejected */
  rejected: number;
}

/** Every count at zero. */
export function emptySyncResult(): SyncResult {
  return { emitted: 0, inserted: 0, duplicates: 0, skipped: 0, rejected: 0 };
}

/** Adds one emitMany: the punches handed to it and what the buffer answered. */
export function countCommitted(result: SyncResult, emitted: number, committed: EmitResult): void {
  result.emitted += emitted;
  result.inserted += committed.inserted;
  result.duplicates += committed.duplicates;
}

/** The counts `pull` prints: a read's result and the number of records it read. */
export function backfillResultOf(r: SyncResult, records: number, extra: Pick<BackfillResult, 'ignored' | 'serial'> = {}): BackfillResult {
  return { records, inserted: r.inserted, duplicates: r.duplicates, skipped: r.skipped, rejected: r.rejected, ...extra };
}
