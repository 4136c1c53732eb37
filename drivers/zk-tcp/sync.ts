// One attendance sync: download the log, emit the records after the checkpoint, optionally clear.
// Invariants:
// - Punches and the checkpoint move together: every batch goes through ctx.emitMany(raws, {cp}),
//   so a crash or a dropped connection resumes after the last committed batch, never skips one.
// - A download is complete or an error; nothing is emitted from a failed download.
// - The checkpoint names the record count, the record size, the device serial and the bytes of the
//   last committed record. If that record is no longer at the same index (log cleared, rotated,
//   terminal swapped), the whole log is emitted again; punch ids make the repeats duplicates.
// - The log is cleared only when configured, only after every batch committed, and only when
//   the terminal (held disabled) still has exactly the records that were downloaded.
// - Completeness watermark (basis `download`, README "Completeness watermark"): the terminal clock
//   is read right before the log is downloaded; once every batch committed, and when every record
//   of the log is held (committed, or quarantined by the edge rules: `unheld` is 0), the reading
//   less RECORD_SETTLE_SEC is declared. A failed download or commit declares nothing. A log that no
//   longer holds the last committed record where it was (cleared, rotated, swapped behind the
//   gateway), or a clear of records the gateway does not hold, freezes the watermark: punches may
//   be gone that nobody read. `pull` (since mode) neither reads the clock nor declares.
import type { DriverContext } from '../../src/devices/driver.js';
import { countCommitted, emptySyncResult, type SyncResult } from '../../src/devices/syncResult.js';
import { completeThroughOfReading } from '../../src/devices/watermark.js';
import type { RawPunch } from '../../src/punch/punch.js';
import { rejectionCode } from '../../src/util/catalogue.js';
import { DecodeError, GatewayError, errorMessage } from '../../src/util/errors.js';
import { decodeAttendanceAt, formatWallTime, type AttendanceDataset, type ZkRecord } from './codec.js';
import type { ProgressFn, ZkClient } from './client.js';
import type { ZkTcpConfig } from './config.js';
import { clearAttendance, readAttendance, readClock, readSizes, readUsers, withDeviceDisabled } from './device.js';
import type { ZkQuirks } from './models.js';
import { ATTLOG_LAYOUTS } from './tables.js';

export const CHECKPOINT_KEY = 'zk.attlog';
/** seconds the terminal stays locked at most if we never re-enable it (timeout variant, §6.1) */
export const DISABLE_TIMEOUT_SEC = 300;
const BATCH = 2000;

export interface AttlogCheckpoint {
  serial?: string;
  /** records of the log already committed */
  count: number;
  recordSize: number;
  /** hex of record `count - 1` */
  lastKey?: string;
  lastTime?: string;
  /** records before `count` that the buffer holds neither as a punch nor in quarantine (undecodable, no PIN, before importSince) */
  unheld?: number;
}

export interface SyncOptions {
  client: ZkClient;
  ctx: DriverContext;
  cfg: Pick<ZkTcpConfig, 'importSince' | 'clearAfterDownload' | 'disableDuringDownload'>;
  serial?: string;
  quirks: ZkQuirks;
  /** backfill mode (`pull --since`): ignore and keep the checkpoint, emit every record at or after `since` */
  since?: string;
  onDownload?: ProgressFn;
  onEmit?: (emitted: number, total: number) => void;
  /** checked between batches: a stopping driver commits no further batch */
  signal?: AbortSignal;
}

/** One sync: the shared counts (src/devices/syncResult.ts) and the log it read. */
export interface AttlogSyncResult extends SyncResult {
  /** records in the whole log */
  records: number;
  recordSize: number;
  cleared: boolean;
  /** records of the whole log the buffer holds neither as a punch nor in quarantine: while any, no watermark */
  unheld: number;
}

const LOG_LOST = 'the terminal log no longer holds the last record the gateway committed (cleared, rotated or swapped behind the gateway): punches made after the last download may be gone';
const CLEARED_UNHELD = 'clearAfterDownload cleared records of the terminal log that the gateway could not read or skipped (importSince)';

export async function syncAttendance(o: SyncOptions): Promise<AttlogSyncResult> {
  const daemon = o.since === undefined;
  const checkpoint = daemon ? o.ctx.checkpoint.get<AttlogCheckpoint>(CHECKPOINT_KEY) : undefined;
  const download = async (): Promise<{ set: AttendanceDataset; count: number; reading: string | undefined }> => {
    // the watermark's clock: read before the log, so every record stamped earlier is in it
    const reading = daemon ? formatWallTime(await readClock(o.client)) : undefined;
    return { ...(await downloadLog(o, checkpoint)), reading };
  };
  const { set, count, reading } = o.cfg.disableDuringDownload
    ? await withDeviceDisabled(o.client, DISABLE_TIMEOUT_SEC, download)
    : await download();
  const result: AttlogSyncResult = { records: set.count, recordSize: set.recordSize, ...emptySyncResult(), cleared: false, unheld: 0 };
  const start = daemon ? resumeIndex(set, checkpoint, o.serial) : 0;
  if (daemon && start === 0 && (checkpoint?.count ?? 0) > 0) o.ctx.watermark.freeze(LOG_LOST);
  result.unheld = start > 0 ? (checkpoint?.unheld ?? 0) : 0;
  const pins = await pinResolver(o.client, set, count);
  const sinceLimit = o.since ?? (checkpoint === undefined ? o.cfg.importSince : undefined);
  await emitFrom(o, { set, start, pins, sinceLimit, result });
  if (reading !== undefined && result.unheld === 0) await o.ctx.watermark.advance({ completeThroughLocal: completeThroughOfReading(reading), basis: 'download' });
  if (o.cfg.clearAfterDownload && daemon && set.count > 0) result.cleared = await clearIfUnchanged(o, set, result.unheld);
  return result;
}

async function downloadLog(o: SyncOptions, checkpoint: AttlogCheckpoint | undefined): Promise<{ set: AttendanceDataset; count: number }> {
  const sizes = await readSizes(o.client);
  const count = sizes.records ?? 0;
  const preferredSizes = [checkpoint?.recordSize, o.quirks.recordSize].filter((s): s is number => s !== undefined);
  let raw: Buffer | undefined;
  try {
    const { set } = await readAttendance(o.client, { count, preferredSizes, onProgress: o.onDownload, onBytes: (b) => (raw = b) });
    return { set, count: sizes.users ?? 0 };
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const excerpt = raw ? raw.subarray(0, 128).toString('hex') : '';
    o.ctx.status.rejected('zk-attlog-layout', excerpt);
    o.ctx.log.error({ code: rejectionCode('zk-attlog-layout'), err: error.message, totalBytes: raw?.length, records: count, head: excerpt }, 'zk attendance layout unknown; nothing emitted');
    throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `attendance log: ${error.message}`, { cause: error });
  }
}

function recordKey(set: AttendanceDataset, index: number): string {
  return set.body.toString('hex', index * set.recordSize, (index + 1) * set.recordSize);
}

/** Where new records start: after the checkpoint when its last record is still in place, else 0. */
export function resumeIndex(set: AttendanceDataset, cp: AttlogCheckpoint | undefined, serial: string | undefined): number {
  if (!cp || cp.count <= 0) return 0;
  const sameDevice = cp.serial === undefined || serial === undefined || cp.serial === serial;
  if (!sameDevice || cp.recordSize !== set.recordSize || cp.count > set.count) return 0;
  return recordKey(set, cp.count - 1) === cp.lastKey ? cp.count : 0;
}

/** 8-byte records carry only the internal uid: map it to the PIN through the user table (pyzk behaviour). */
async function pinResolver(client: ZkClient, set: AttendanceDataset, users: number): Promise<(r: ZkRecord) => string | undefined> {
  const layout = ATTLOG_LAYOUTS.get(set.recordSize);
  if (set.count === 0 || layout?.fields.some((f) => f.name === 'pin')) return (r) => r.pin;
  const table = new Map((await readUsers(client, users)).map((u) => [u.uid, u.pin]));
  return (r) => (r.uid === undefined ? undefined : (table.get(r.uid) ?? String(r.uid)));
}

interface EmitPlan {
  set: AttendanceDataset;
  start: number;
  pins: (r: ZkRecord) => string | undefined;
  sinceLimit: string | undefined;
  result: AttlogSyncResult;
}

async function emitFrom(o: SyncOptions, plan: EmitPlan): Promise<void> {
  const { set, result } = plan;
  for (let from = plan.start; from < set.count; from += BATCH) {
    o.signal?.throwIfAborted();
    const to = Math.min(set.count, from + BATCH);
    const raws: RawPunch[] = [];
    for (let i = from; i < to; i++) {
      const raw = toRawPunch(o.ctx, set, i, plan.pins);
      if (!raw) result.rejected++;
      else if (plan.sinceLimit !== undefined && raw.localTime < plan.sinceLimit) result.skipped++;
      else raws.push(raw);
    }
    result.unheld += to - from - raws.length;
    const cp: AttlogCheckpoint = { serial: o.serial, count: to, recordSize: set.recordSize, lastKey: recordKey(set, to - 1), lastTime: raws.at(-1)?.localTime, unheld: result.unheld };
    const committed = await o.ctx.emitMany(raws, o.since === undefined ? { [CHECKPOINT_KEY]: cp } : undefined);
    countCommitted(result, raws.length, committed);
    o.onEmit?.(to - plan.start, set.count - plan.start);
  }
}

function toRawPunch(ctx: DriverContext, set: AttendanceDataset, index: number, pins: (r: ZkRecord) => string | undefined): RawPunch | undefined {
  let record: ZkRecord;
  try {
    record = decodeAttendanceAt(set, index);
  } catch (error) {
    ctx.status.rejected('zk-record-undecodable', recordKey(set, index));
    ctx.log.warn({ code: rejectionCode('zk-record-undecodable'), index, err: errorMessage(error) }, 'zk record undecodable; skipped');
    return undefined;
  }
  const pin = pins(record);
  if (!pin) {
    ctx.status.rejected('zk-record-no-pin', recordKey(set, index));
    return undefined;
  }
  return {
    pin,
    localTime: record.localTime,
    state: record.state,
    verify: record.verify,
    workCode: record.workCode,
    raw: { source: 'attlog', index, recordSize: set.recordSize, ...record.fields },
  };
}

async function clearIfUnchanged(o: SyncOptions, set: AttendanceDataset, unheld: number): Promise<boolean> {
  return withDeviceDisabled(o.client, DISABLE_TIMEOUT_SEC, async () => {
    const now = (await readSizes(o.client)).records;
    if (now !== set.count) {
      o.ctx.log.info({ downloaded: set.count, now }, 'zk log changed since the download; clearing postponed to the next sync');
      return false;
    }
    if (unheld > 0) o.ctx.watermark.freeze(CLEARED_UNHELD);
    await clearAttendance(o.client);
    o.ctx.checkpoint.set(CHECKPOINT_KEY, { serial: o.serial, count: 0, recordSize: set.recordSize } satisfies AttlogCheckpoint);
    o.ctx.log.info({ cleared: set.count }, 'zk attendance log cleared after a committed download');
    return true;
  });
}
