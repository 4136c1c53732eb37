// What a ZK terminal can hold, as ceilings on the sizes it announces (DESIGN.md "Trust at the
// edge": sizes a terminal announces are checked against what it can hold before memory is reserved).
// Invariants:
// - Every size read from the wire that decides how much the client reads or keeps (the data-stat
//   of CMD_DATA_WRRQ, the bytes of each chunk burst) is checked against a ceiling here before any
//   memory is reserved for it; a ceiling is what the largest terminal holds plus a margin, never a
//   typical value, so a real terminal is never refused by it.
// - The client never reserves the announced size: a dataset grows as its bytes arrive
//   (DatasetBytes), so what a terminal makes the gateway hold is bounded by what it really sent.
import { ATTLOG_LAYOUTS, CMD, USER_LAYOUTS } from './tables.js';

/**
 * Attendance records the largest terminal is taken to hold. zk-standalone.md gives no capacity:
 * a terminal reports its own (CMD_GET_FREE_SIZES word 16), which a hostile one inflates as easily
 * as the dataset size. The shipped simulator models 1,000,000 records, the largest log this
 * project has seen announced for a ZK terminal; twice that is the margin.
 */
export const MAX_ATTLOG_RECORDS = 2_000_000;

/** Users the largest terminal is taken to hold: the simulator's 10,000 user capacity, twenty times over. */
export const MAX_USERS = 200_000;

/**
 * Fingerprint templates the largest terminal is taken to hold, and the largest template: ZK
 * terminals list 3,000 to 10,000 fingerprints and a ZKFinger v10 template is about 1.2–1.6 KB
 * (the 1,243-byte one of pyzk test.py); 100,000 of 4 KiB each is the margin.
 */
export const MAX_TEMPLATES = 100_000;
export const MAX_TEMPLATE_BYTES = 4096;

const largest = (sizes: Iterable<number>): number => Math.max(...sizes);

/**
 * The largest dataset (`u32 total | records…`, §6.6) a CMD_DATA_WRRQ may announce, per read
 * command: attendance 4 + 2,000,000 × 49 bytes (≈ 93 MiB), users 4 + 200,000 × 72 bytes (≈ 14 MiB),
 * templates 4 + 100,000 × 4,102 bytes (≈ 391 MiB).
 * A larger announcement is refused before the first chunk is asked for.
 */
export const MAX_DATASET_BYTES: ReadonlyMap<number, number> = new Map([
  [CMD.ATTLOG_RRQ, 4 + MAX_ATTLOG_RECORDS * largest(ATTLOG_LAYOUTS.keys())],
  [CMD.USERTEMP_RRQ, 4 + MAX_USERS * largest(USER_LAYOUTS.keys())],
  [CMD.DB_RRQ, 4 + MAX_TEMPLATES * (6 + MAX_TEMPLATE_BYTES)],
]);

/** The ceiling for a read command this file does not list: the attendance log's, the largest. */
export function maxDatasetBytes(readCommand: number): number {
  return MAX_DATASET_BYTES.get(readCommand) ?? (MAX_DATASET_BYTES.get(CMD.ATTLOG_RRQ) as number);
}

/**
 * The bytes of one dataset, grown as chunks arrive and never reserved from the announced size:
 * capacity stays within twice the bytes received (and within `expected`).
 */
export class DatasetBytes {
  private bytes: Buffer = Buffer.alloc(0);
  private length = 0;

  constructor(private readonly expected: number) {}

  get received(): number {
    return this.length;
  }

  append(chunk: Buffer): void {
    const needed = this.length + chunk.length;
    if (needed > this.expected) throw new RangeError(`dataset of ${this.expected} bytes got ${needed}`);
    if (needed > this.bytes.length) {
      // allocUnsafe is safe here: only bytes [0, length) are ever read, and every one was written
      const grown = Buffer.allocUnsafe(Math.min(this.expected, Math.max(needed, this.bytes.length * 2)));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    chunk.copy(this.bytes, this.length);
    this.length = needed;
  }

  /** The bytes received so far (the whole dataset once `received` equals the announced size). */
  take(): Buffer {
    return this.bytes.subarray(0, this.length);
  }
}
