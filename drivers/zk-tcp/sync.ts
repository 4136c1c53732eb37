// One attendance sync: stream the log, emit the records after the checkpoint, optionally clear.
// Invariants:
// - Streaming: each chunk of the download is decoded, normalized and committed (ctx.emitMany, at
//   most COMMIT_BATCH punches per commit, COMMITS_IN_FLIGHT commits at a time) while the next chunk
//   is on the wire (client.streamDataset). Memory is bounded by that window (two chunks,
//   DECODE_WINDOW punches), never by the log's size.
// - The checkpoint moves only once the whole log is downloaded: it rides in the transaction of the
//   last batch of the last chunk. A download that fails midway leaves the punches it committed
//   (they are real; ids make a repeat a duplicate) and the checkpoint where it was; the next
//   attempt starts over from that checkpoint.
// - The checkpoint names the record count, the record size, the device serial and the bytes of the
//   last committed record. If that record is no longer at the same index (log cleared, rotated,
//   terminal swapped), the whole log is emitted again; punch ids make the repeats duplicates. A
//   log that became shorter, another serial or record size is known from the dataset's head; a
//   changed record at the checkpoint is known only when it streams past, and then the read starts
//   over from record 0 (the records before it were skipped unread).
// - 8-byte records carry no PIN: the user table is read first, and a read that finds such a log
//   without it starts over once the table is read (one request in flight: nothing reads the user
//   table during the attendance stream).
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
import { decodeAttendanceRecord, formatWallTime, pickRecordSize, type ZkRecord } from './codec.js';
import type { ProgressFn, ZkClient } from './client.js';
import type { ZkTcpConfig } from './config.js';
import { clearAttendance, readClock, readSizes, readUsers, withDeviceDisabled } from './device.js';
import type { ZkQuirks } from './models.js';
import { ATTLOG_LAYOUTS, CMD, type Layout } from './tables.js';

export const CHECKPOINT_KEY = 'zk.attlog';
/** seconds the terminal stays locked at most if we never re-enable it (timeout variant, §6.1) */
export const DISABLE_TIMEOUT_SEC = 300;
/** punches per commit */
export const COMMIT_BATCH = 2000;
/** commits of one download in flight at a time */
export const COMMITS_IN_FLIGHT = 2;
/** the most decoded punches not yet committed at any time, whatever the log's size */
export const DECODE_WINDOW = COMMIT_BATCH * COMMITS_IN_FLIGHT;

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
  const sinceLimit = o.since ?? (checkpoint === undefined ? o.cfg.importSince : undefined);
  const download = async (): Promise<{ read: LogRead; reading: string | undefined }> => {
    // the watermark's clock: read before the log, so every record stamped earlier is in it
    const reading = daemon ? formatWallTime(await readClock(o.client)) : undefined;
    const sizes = await readSizes(o.client);
    const plan: StreamPlan = {
      reported: sizes.records ?? 0,
      preferred: [checkpoint?.recordSize, o.quirks.recordSize].filter((s): s is number => s !== undefined),
      checkpoint,
      resume: checkpoint,
      sinceLimit,
    };
    const users = sizes.users ?? 0;
    const expected = plan.preferred[0];
    if (plan.reported > 0 && expected !== undefined && !carriesPin(expected)) plan.pins = await userPins(o.client, users);
    for (;;) {
      try {
        return { read: await streamLog(o, plan), reading };
      } catch (error) {
        if (!(error instanceof StartOver)) throw error;
        if (error.why === 'users') plan.pins = await userPins(o.client, users);
        else plan.resume = undefined;
      }
    }
  };
  const { read, reading } = o.cfg.disableDuringDownload
    ? await withDeviceDisabled(o.client, DISABLE_TIMEOUT_SEC, download)
    : await download();
  const { result, shape } = read;
  if (reading !== undefined && result.unheld === 0) await o.ctx.watermark.advance({ completeThroughLocal: completeThroughOfReading(reading), basis: 'download' });
  if (o.cfg.clearAfterDownload && daemon && shape.count > 0) result.cleared = await clearIfUnchanged(o, shape, result.unheld);
  return result;
}

/** What the dataset's head announced: the log's record size and record count. */
interface LogShape {
  recordSize: number;
  count: number;
}

interface StreamPlan {
  /** records the terminal reported (GET_FREE_SIZES); the dataset's own size decides */
  reported: number;
  /** record sizes to try first (checkpoint, model quirk) */
  preferred: number[];
  /** PIN of an 8-byte record (user table); undefined until read */
  pins?: PinOf;
  /** the checkpoint as read at the start: a log that lost its last record freezes the watermark */
  checkpoint: AttlogCheckpoint | undefined;
  /** where to resume; undefined once the log proved not to hold the checkpoint's record */
  resume: AttlogCheckpoint | undefined;
  sinceLimit: string | undefined;
}

interface LogRead {
  shape: LogShape;
  result: AttlogSyncResult;
}

type PinOf = (r: ZkRecord) => string | undefined;

/** This read cannot go on; the next one will (users: the user table is needed; log-lost: start at record 0). */
class StartOver extends Error {
  constructor(readonly why: 'users' | 'log-lost') {
    super(`zk attendance read starts over: ${why}`);
  }
}

const EMPTY = Buffer.alloc(0);

function carriesPin(recordSize: number): boolean {
  return ATTLOG_LAYOUTS.get(recordSize)?.fields.some((f) => f.name === 'pin') ?? true;
}

/** 8-byte records carry only the internal uid: map it to the PIN through the user table (pyzk behaviour). */
async function userPins(client: ZkClient, users: number): Promise<PinOf> {
  const table = new Map((await readUsers(client, users)).map((u) => [u.uid, u.pin]));
  return (r) => (r.uid === undefined ? undefined : (table.get(r.uid) ?? String(r.uid)));
}

/** Where new records start: after the checkpoint when it names this log (its last record is checked as it streams past), else 0. */
function resumeFrom(shape: LogShape, cp: AttlogCheckpoint | undefined, serial: string | undefined): number {
  if (!cp || cp.count <= 0) return 0;
  const sameDevice = cp.serial === undefined || serial === undefined || cp.serial === serial;
  if (!sameDevice || cp.recordSize !== shape.recordSize || cp.count > shape.count || cp.lastKey === undefined) return 0;
  return cp.count;
}

/** One streamed read of the log: every chunk decoded and committed while the next is on the wire. */
async function streamLog(o: SyncOptions, plan: StreamPlan): Promise<LogRead> {
  const daemon = o.since === undefined;
  let shape: LogShape | undefined;
  let layout: Layout | undefined;
  let pins: PinOf = (r) => r.pin;
  let start = 0;
  let head: Buffer | undefined;
  let carry = EMPTY;
  let index = 0;
  let lastTime: string | undefined;
  let lastKey: string | undefined;
  let raws: RawPunch[] = [];
  const result: AttlogSyncResult = { records: 0, recordSize: 0, ...emptySyncResult(), cleared: false, unheld: 0 };

  // Commits in flight, oldest first: at most COMMITS_IN_FLIGHT, so the next batch is decoded and
  // normalized while the buffer commits the last one. The batch carrying the checkpoint waits for
  // every earlier one: a checkpoint never commits past a batch that failed.
  const inFlight: Promise<void>[] = [];
  const settle = async (keep: number): Promise<void> => {
    while (inFlight.length > keep) await inFlight.shift();
  };
  const commit = async (through: number, lastKey: string | undefined): Promise<void> => {
    const batch = raws;
    raws = [];
    const cp: AttlogCheckpoint | undefined = lastKey === undefined || !daemon || !shape
      ? undefined
      : { serial: o.serial, count: through, recordSize: shape.recordSize, lastKey, lastTime, unheld: result.unheld };
    await settle(cp ? 0 : COMMITS_IN_FLIGHT - 1);
    const total = shape?.count ?? 0;
    const done = o.ctx.emitMany(batch, cp ? { [CHECKPOINT_KEY]: cp } : undefined).then((committed) => {
      countCommitted(result, batch.length, committed);
      o.onEmit?.(through - start, total - start);
    });
    done.catch(() => undefined); // awaited by settle(); a failure must not go unhandled meanwhile
    inFlight.push(done);
    if (cp) await settle(0);
  };

  const open = (bytes: Buffer, totalBytes: number): LogShape => {
    const total = bytes.readUInt32LE(0);
    if (total !== totalBytes - 4) throw new DecodeError('zk-dataset-size', `dataset announces ${total} bytes but carries ${totalBytes - 4}`, 0);
    const recordSize = pickRecordSize(total, plan.reported, plan.preferred);
    const opened = { recordSize, count: total === 0 ? 0 : total / recordSize };
    layout = ATTLOG_LAYOUTS.get(recordSize);
    if (opened.count > 0 && !carriesPin(recordSize)) {
      if (!plan.pins) throw new StartOver('users');
      pins = plan.pins;
    }
    start = daemon ? resumeFrom(opened, plan.resume, o.serial) : 0;
    if (daemon && start === 0 && (plan.checkpoint?.count ?? 0) > 0) o.ctx.watermark.freeze(LOG_LOST);
    result.unheld = start > 0 ? (plan.checkpoint?.unheld ?? 0) : 0;
    result.records = opened.count;
    result.recordSize = recordSize;
    return opened;
  };

  const sink = async (bytes: Buffer, offset: number, totalBytes: number): Promise<void> => {
    o.signal?.throwIfAborted();
    let data = carry.length > 0 ? Buffer.concat([carry, bytes]) : bytes;
    const final = offset + bytes.length >= totalBytes;
    if (!shape) {
      head ??= Buffer.from(data.subarray(0, 128));
      if (data.length < 4) {
        if (final) throw new DecodeError('zk-dataset-short', `dataset needs a 4-byte size, got ${data.length}`, 0);
        carry = Buffer.from(data);
        return;
      }
      shape = open(data, totalBytes);
      data = data.subarray(4);
    }
    const size = shape.recordSize;
    const whole = Math.floor(data.length / size);
    for (let k = 0; k < whole; k++, index++) {
      const at = k * size;
      if (index === shape.count - 1) lastKey = data.toString('hex', at, at + size);
      if (index < start - 1) continue;
      if (index === start - 1) {
        if (data.toString('hex', at, at + size) !== plan.resume?.lastKey) throw new StartOver('log-lost');
        continue;
      }
      const raw = toRawPunch(o.ctx, data, at, size, layout, index, pins);
      const before = raw !== undefined && plan.sinceLimit !== undefined && raw.localTime < plan.sinceLimit;
      if (!raw) result.rejected++;
      else if (before) result.skipped++;
      if (!raw || before) {
        result.unheld++;
      } else {
        raws.push(raw);
        lastTime = raw.localTime;
      }
      // the last record's batch waits for the end of the loop: it carries the checkpoint
      if (raws.length >= COMMIT_BATCH && index < shape.count - 1) await commit(index + 1, undefined);
    }
    carry = whole * size < data.length ? Buffer.from(data.subarray(whole * size)) : EMPTY;
    if (!final) {
      if (raws.length > 0) await commit(index, undefined);
      return;
    }
    if (carry.length > 0) throw new DecodeError('zk-dataset-size', `dataset ends inside a ${size}-byte record`, totalBytes);
    // the whole log is in: the last batch moves the checkpoint with it
    if (shape.count > start) await commit(shape.count, lastKey);
  };

  try {
    try {
      await o.client.streamDataset(CMD.ATTLOG_RRQ, 0, sink, o.onDownload);
      await settle(0);
    } finally {
      await Promise.allSettled(inFlight); // a failed read returns only once its commits have settled
    }
    if (!shape) throw new DecodeError('zk-dataset-short', 'dataset needs a 4-byte size, got 0', 0);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    const excerpt = head ? head.toString('hex') : '';
    o.ctx.status.rejected('zk-attlog-layout', excerpt);
    o.ctx.log.error({ code: rejectionCode('zk-attlog-layout'), err: error.message, records: plan.reported, head: excerpt }, 'zk attendance layout unknown; nothing emitted');
    throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `attendance log: ${error.message}`, { cause: error });
  }
  return { shape, result };
}

function toRawPunch(ctx: DriverContext, bytes: Buffer, at: number, size: number, layout: Layout | undefined, index: number, pins: PinOf): RawPunch | undefined {
  const key = (): string => bytes.toString('hex', at, at + size);
  let record: ZkRecord;
  try {
    if (!layout) throw new DecodeError('zk-attlog-layout', `no layout for ${size}-byte records`, 0);
    record = decodeAttendanceRecord(bytes, layout, at);
  } catch (error) {
    ctx.status.rejected('zk-record-undecodable', key());
    ctx.log.warn({ code: rejectionCode('zk-record-undecodable'), index, err: errorMessage(error) }, 'zk record undecodable; skipped');
    return undefined;
  }
  const pin = pins(record);
  if (!pin) {
    ctx.status.rejected('zk-record-no-pin', key());
    return undefined;
  }
  return {
    pin,
    localTime: record.localTime,
    state: record.state,
    verify: record.verify,
    workCode: record.workCode,
    raw: { source: 'attlog', index, recordSize: size, ...record.fields },
  };
}

async function clearIfUnchanged(o: SyncOptions, set: LogShape, unheld: number): Promise<boolean> {
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
