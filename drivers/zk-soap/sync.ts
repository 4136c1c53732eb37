// One poll of a SOAP terminal: read the whole log (GetAttLog PIN All), commit what is new together
// with the checkpoint, and optionally clear the log. In backfill mode (`since` set: `pull`) every
// record at or after `since` is committed, and the checkpoint and the log are left alone.
// Invariants:
// - The terminal returns its whole log every time. "New" is: every row at or after the newest
//   committed device time (`lastTime`, inclusive, so a second shared with the last commit is read
//   again) plus every row past the row count of the last complete poll (`rows`: catches punches
//   written after the terminal clock was set back). A log shorter than `rows` (cleared, swapped)
//   is emitted whole. Re-read punches are duplicates by id, never second punches.
// - New punches are committed oldest first in batches, each with the checkpoint its punches justify
//   (emitMany): a crash between batches resumes at the first uncommitted time; `rows` moves only
//   with the last batch. A body that does not decode emits nothing.
// - Backfill mode neither reads nor writes the checkpoint and never calls ClearData.
// - ClearData runs only when configured, only after every batch committed, and only when a
//   second read right before it still shows exactly the rows committed. A punch made in the
//   moment between that read and ClearData is the remaining risk (SOAP has no "disable device").
// - Completeness watermark (basis `download`, README "Completeness watermark"): given the
//   terminal clock read (GetDate) just before GetAttLog, a poll whose batches all committed, whose
//   log has no row that failed to decode, and whose log still holds the row the last complete poll
//   ended on (`rowKey` at index `rows − 1`) declares that reading less RECORD_SETTLE_SEC. A log
//   shorter than `rows`, or with another row there, was cleared or replaced behind the gateway:
//   the watermark freezes. So does the first ClearData: SOAP cannot hold the keypad, so a punch made
//   between the second read and ClearData would be gone unseen, stamped after the last proof.
import type { DriverContext } from '../../src/devices/driver.js';
import { countCommitted, emptySyncResult, type SyncResult } from '../../src/devices/syncResult.js';
import { completeThroughOfReading } from '../../src/devices/watermark.js';
import type { RawPunch } from '../../src/punch/punch.js';
import { rejectionCode } from '../../src/util/catalogue.js';
import { DecodeError, GatewayError } from '../../src/util/errors.js';
import { SoapBodyError, type SoapClient } from './client.js';
import { decodeAttLog, type AttLog, type AttRecord } from './codec.js';
import type { ZkSoapConfig } from './config.js';
import { zkStateOf, zkVerifyOf } from '../zk-common/codes.js';
import { ALL_PINS, CLEAR_DATA_ATTLOG } from './tables.js';

export const CHECKPOINT_KEY = 'soap.attlog';
const BATCH = 2000;

export interface SoapCheckpoint {
  /** newest committed device-local time, `YYYY-MM-DDTHH:mm:ss` */
  lastTime?: string;
  /** rows the log had at the end of the last complete poll */
  rows: number;
  /** the row at index `rows − 1` then (its fields as JSON): still there means the log was only appended to */
  rowKey?: string;
}

/** One poll: the shared counts (src/devices/syncResult.ts; `skipped`: rows before `since`) and the log it read. */
export interface SoapSyncResult extends SyncResult {
  /** rows of the whole log, good and bad */
  rows: number;
  cleared: boolean;
}

export interface SyncOptions {
  client: SoapClient;
  ctx: DriverContext;
  cfg: Pick<ZkSoapConfig, 'clearAfterDownload' | 'stateMap' | 'verifyMap'>;
  signal: AbortSignal;
  /**
   * Backfill mode (`pull`): terminal-local date or date-time ('' for the whole log); every record at
   * or after it is committed, without checkpoint values, and the log is never cleared.
   */
  since?: string;
  /** after each committed batch: records handled so far, of all the log's records */
  onEmit?: (done: number, total: number) => void;
  /** the terminal clock (GetDate) read just before this poll, device wall time: the watermark's proof */
  clockReading?: string;
}

const LOG_REPLACED = 'the terminal log no longer holds the row the last complete poll ended on (cleared or replaced behind the gateway): punches made since may be gone';
const CLEAR_UNGUARDED = 'clearAfterDownload: SOAP cannot hold the keypad, so a punch made in the moment before ClearData would be lost unseen; no later watermark can be proven';

/** Reads the whole log; body-level problems are counted as rejections before they propagate. */
export async function readLog(o: Pick<SyncOptions, 'client' | 'ctx' | 'signal'>): Promise<AttLog> {
  try {
    const answer = await o.client.call('GetAttLog', [{ name: 'PIN', value: ALL_PINS, type: 'integer' }], o.signal);
    return decodeAttLog(answer.doc);
  } catch (error) {
    if (error instanceof SoapBodyError) o.ctx.status.rejected(error.rejection, error.message);
    if (!(error instanceof DecodeError)) throw error;
    o.ctx.status.rejected(error.code, error.message);
    throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `GetAttLog: ${error.message}`, { cause: error });
  }
}

export async function syncAttendance(o: SyncOptions): Promise<SoapSyncResult> {
  const log = await readLog(o);
  const rows = log.records.length + log.errors.length;
  for (const e of log.errors) {
    const reason = `zk-soap-row-${e.code}` as const;
    o.ctx.status.rejected(reason, e.excerpt);
    o.ctx.log.warn({ row: e.row, code: rejectionCode(reason), reason, err: e.message, excerpt: e.excerpt }, 'zk-soap log row rejected');
  }
  const result: SoapSyncResult = { rows, ...emptySyncResult(), rejected: log.errors.length, cleared: false };
  if (o.since !== undefined) {
    const all = newRecords(log.records, rows, undefined);
    const fresh = all.filter((r) => r.localTime >= (o.since as string));
    result.skipped = all.length - fresh.length;
    await emitInBatches(o, fresh, { rows, checkpoint: undefined, result, checkpointed: false });
    return result;
  }
  const checkpoint = o.ctx.checkpoint.get<SoapCheckpoint>(CHECKPOINT_KEY);
  const continuity = continuityOf(log, checkpoint);
  if (continuity === 'broken') o.ctx.watermark.freeze(LOG_REPLACED);
  const fresh = newRecords(log.records, rows, checkpoint);
  await emitInBatches(o, fresh, { rows, checkpoint, result, checkpointed: true, rowKey: rowKeyAt(log, rows - 1) });
  if (o.clockReading !== undefined && continuity === 'kept' && log.errors.length === 0) {
    await o.ctx.watermark.advance({ completeThroughLocal: completeThroughOfReading(o.clockReading), basis: 'download' });
  }
  if (o.cfg.clearAfterDownload && rows > 0) result.cleared = await clearIfUnchanged(o, log);
  return result;
}

/**
 * Whether the log is the one the last complete poll read, grown only at its end: `kept`, `broken`
 * (shorter, or another row where it ended), or `unknown` (a checkpoint from before `rowKey` existed).
 */
function continuityOf(log: AttLog, cp: SoapCheckpoint | undefined): 'kept' | 'broken' | 'unknown' {
  if (!cp || cp.rows === 0) return 'kept';
  if (log.records.length + log.errors.length < cp.rows) return 'broken';
  if (cp.rowKey === undefined) return 'unknown';
  return rowKeyAt(log, cp.rows - 1) === cp.rowKey ? 'kept' : 'broken';
}

/** The records a poll must commit, oldest first (stable for equal times). */
export function newRecords(records: readonly AttRecord[], rows: number, cp: SoapCheckpoint | undefined): AttRecord[] {
  const everything = cp === undefined || cp.lastTime === undefined || rows < cp.rows;
  const picked = everything ? [...records] : records.filter((r) => r.row >= cp.rows || r.localTime >= (cp.lastTime as string));
  return picked.sort((a, b) => (a.localTime < b.localTime ? -1 : a.localTime > b.localTime ? 1 : a.row - b.row));
}

interface EmitPlan {
  rows: number;
  checkpoint: SoapCheckpoint | undefined;
  result: SoapSyncResult;
  /** false in backfill mode: the batches carry no checkpoint values */
  checkpointed: boolean;
  /** the key of the log's last row, kept with `rows` */
  rowKey?: string | undefined;
}

async function emitInBatches(o: SyncOptions, fresh: AttRecord[], plan: EmitPlan): Promise<void> {
  let lastTime = plan.checkpoint?.lastTime;
  const previousRows = plan.checkpoint?.rows ?? 0;
  const done = (): SoapCheckpoint => ({ lastTime, rows: plan.rows, ...(plan.rowKey !== undefined ? { rowKey: plan.rowKey } : {}) });
  if (fresh.length === 0) {
    if (plan.checkpointed && (plan.checkpoint?.rows !== plan.rows || plan.checkpoint.rowKey !== plan.rowKey)) await o.ctx.emitMany([], { [CHECKPOINT_KEY]: done() });
    return;
  }
  for (let from = 0; from < fresh.length; from += BATCH) {
    o.signal.throwIfAborted();
    const batch = fresh.slice(from, from + BATCH);
    const last = from + BATCH >= fresh.length;
    const newest = batch[batch.length - 1]!.localTime;
    lastTime = lastTime === undefined || newest > lastTime ? newest : lastTime;
    const cp: SoapCheckpoint = last ? done() : { lastTime, rows: previousRows, ...(plan.checkpoint?.rowKey !== undefined ? { rowKey: plan.checkpoint.rowKey } : {}) };
    const committed = await o.ctx.emitMany(batch.map((r) => toRawPunch(r, o.cfg)), plan.checkpointed ? { [CHECKPOINT_KEY]: cp } : undefined);
    countCommitted(plan.result, batch.length, committed);
    o.onEmit?.(plan.result.skipped + plan.result.rejected + plan.result.emitted, plan.rows);
  }
}

export function toRawPunch(r: AttRecord, cfg: Pick<ZkSoapConfig, 'stateMap' | 'verifyMap'>): RawPunch {
  return {
    pin: r.pin,
    localTime: r.localTime,
    state: zkStateOf(r.status, cfg.stateMap),
    verify: zkVerifyOf(r.verified, cfg.verifyMap),
    workCode: r.workCode,
    raw: { source: 'soap', row: r.row, ...r.fields },
  };
}

/** The row at `index` of the log as it was sent (fields as JSON, or the excerpt of a bad row); undefined when there is none. */
function rowKeyAt(log: AttLog, index: number): string | undefined {
  const row = log.records.find((r) => r.row === index) ?? log.errors.find((e) => e.row === index);
  if (!row) return undefined;
  return 'fields' in row ? JSON.stringify(row.fields) : row.excerpt;
}

function lastRowKey(log: AttLog): string {
  return rowKeyAt(log, log.records.length + log.errors.length - 1) ?? '';
}

async function clearIfUnchanged(o: SyncOptions, downloaded: AttLog): Promise<boolean> {
  const again = await readLog(o);
  const sameRows = again.records.length + again.errors.length === downloaded.records.length + downloaded.errors.length;
  if (!sameRows || lastRowKey(again) !== lastRowKey(downloaded)) {
    o.ctx.log.info({ downloaded: downloaded.records.length, now: again.records.length }, 'zk-soap log changed since the download; clearing postponed to the next poll');
    return false;
  }
  o.ctx.watermark.freeze(CLEAR_UNGUARDED);
  await o.client.call('ClearData', [{ name: 'Value', value: String(CLEAR_DATA_ATTLOG), type: 'integer' }], o.signal);
  const cp = o.ctx.checkpoint.get<SoapCheckpoint>(CHECKPOINT_KEY);
  o.ctx.checkpoint.set(CHECKPOINT_KEY, { lastTime: cp?.lastTime, rows: 0 } satisfies SoapCheckpoint);
  o.ctx.log.info({ cleared: downloaded.records.length }, 'zk-soap attendance log cleared after a committed download');
  return true;
}
