// One poll of a SOAP terminal: stream the whole log (GetAttLog PIN All), commit what is new while
// the rest of the answer is still on the wire, the checkpoint with the last batch, and optionally
// clear the log. In backfill mode (`since` set: `pull`) every record at or after `since` is
// committed, and the checkpoint and the log are left alone.
// Invariants:
// - Streaming: the answer is cut at row boundaries (client.stream, stream.ts) into slices of
//   BATCH rows, each decoded by the codec and its new punches committed (ctx.emitMany, at most
//   BATCH per commit, COMMITS_IN_FLIGHT at a time) while the next slice is read. The socket is
//   read only when the pipeline has room, so memory is bounded by HELD_ROWS_MAX decoded rows and
//   one slice of text, never by the log's size.
// - The terminal returns its whole log every time. "New" is: every row at or after the newest
//   committed device time (`lastTime`, inclusive, so a second shared with the last commit is read
//   again) plus every row past the row count of the last complete poll (`rows`: catches punches
//   written after the terminal clock was set back). Re-read punches are duplicates by id.
// - The checkpoint moves only with the last batch, committed after the whole answer was read and
//   every earlier batch committed; earlier batches carry no checkpoint values. An answer cut
//   midway (or a failed commit) leaves the punches committed so far (they are real; ids dedupe)
//   and the checkpoint where it was, and throws a GatewayError (client.ts codes).
// - A log shorter than `rows` (cleared, swapped) is emitted whole. Its length is known only at
//   the end of the answer, after the first pass committed just the rows at or after `lastTime`:
//   the log is then read a second time and every row of it committed, the checkpoint with that
//   pass's last batch (the rows and last row of the log as the second pass read it).
// - Backfill mode neither reads nor writes the checkpoint and never calls ClearData; its
//   progress total is the rows read so far (the log's length is known only at its end).
// - ClearData runs only when configured, only after every batch committed, and only when a
//   second read right before it still shows exactly the rows committed (same count, same last
//   row). A punch made in the moment between that read and ClearData is the remaining risk (SOAP
//   has no "disable device").
// - Completeness watermark (basis `download`, README "Completeness watermark"): given the
//   terminal clock read (GetDate) just before GetAttLog, a poll whose batches all committed, whose
//   log has no row that failed to decode, and whose log still holds the row the last complete poll
//   ended on (`rowKey` at index `rows − 1`, seen as it streams past) declares that reading less
//   RECORD_SETTLE_SEC. A log shorter than `rows`, or with another row there, was cleared or
//   replaced behind the gateway: the watermark freezes. So does the first ClearData: SOAP cannot
//   hold the keypad, so a punch made between the second read and ClearData would be gone unseen,
//   stamped after the last proof.
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
/** rows per slice of the answer, and punches per commit */
export const BATCH = 2000;
/** commits of one read in flight at a time */
export const COMMITS_IN_FLIGHT = 2;
/**
 * the most decoded rows held at once: the slice being sorted out, the batch being filled, the
 * commits in flight (+1: a full batch waits for the record that shows it is not the last)
 */
export const HELD_ROWS_MAX = BATCH * (2 + COMMITS_IN_FLIGHT) + 1;

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
  /** reads of the log that committed punches: 2 when it turned out shorter than at the last poll */
  passes: number;
  /** the pipeline's high-water marks: decoded rows not yet committed, characters of answer text held */
  peakHeld: { rows: number; chars: number };
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
  /** after each committed batch: records handled so far, of the log's records read so far */
  onEmit?: (done: number, total: number) => void;
  /** the terminal clock (GetDate) read just before this poll, device wall time: the watermark's proof */
  clockReading?: string;
}

const LOG_REPLACED = 'the terminal log no longer holds the row the last complete poll ended on (cleared or replaced behind the gateway): punches made since may be gone';
const CLEAR_UNGUARDED = 'clearAfterDownload: SOAP cannot hold the keypad, so a punch made in the moment before ClearData would be lost unseen; no later watermark can be proven';

/** What one read of the whole log saw. */
interface LogScan {
  rows: number;
  /** rows that failed to decode */
  errors: number;
  /** the key of the log's last row */
  lastKey?: string | undefined;
  /** the key of the row at the index asked for (the last complete poll's last row) */
  keyAt?: string | undefined;
}

interface PassPlan {
  /** whether a decoded record is to be committed (undefined: a read that commits nothing) */
  pick?: (r: AttRecord) => boolean;
  /** the index whose row key to keep */
  keyIndex?: number;
  /** log and count the rows that fail to decode (once per poll) */
  countErrors: boolean;
}

export async function syncAttendance(o: SyncOptions): Promise<SoapSyncResult> {
  const result: SoapSyncResult = { rows: 0, ...emptySyncResult(), cleared: false, passes: 1, peakHeld: { rows: 0, chars: 0 } };
  const newest = { time: undefined as string | undefined };
  if (o.since !== undefined) {
    const since = o.since;
    const committer = new Committer(o, result, newest);
    const scan = await readPass(o, result, committer, { pick: (r) => (r.localTime >= since ? true : (result.skipped++, false)), countErrors: true });
    await committer.finish(undefined);
    result.rows = scan.rows;
    return result;
  }
  const checkpoint = o.ctx.checkpoint.get<SoapCheckpoint>(CHECKPOINT_KEY);
  newest.time = checkpoint?.lastTime;
  let committer = new Committer(o, result, newest);
  let scan = await readPass(o, result, committer, { pick: (r) => isNew(r, checkpoint), countErrors: true, ...(checkpoint && checkpoint.rows > 0 ? { keyIndex: checkpoint.rows - 1 } : {}) });
  const continuity = continuityOf(scan, checkpoint);
  if (continuity === 'broken') o.ctx.watermark.freeze(LOG_REPLACED);
  if (checkpoint?.lastTime !== undefined && scan.rows < checkpoint.rows) {
    // only the rows at or after lastTime were committed: the log is shorter, so every row is new
    await committer.finish(undefined);
    o.ctx.log.info({ rows: scan.rows, before: checkpoint.rows }, 'zk-soap log shorter than at the last poll (cleared or replaced); reading it again to commit it whole');
    committer = new Committer(o, result, newest);
    scan = await readPass(o, result, committer, { pick: () => true, countErrors: false });
    result.passes = 2;
  }
  const done: SoapCheckpoint = { lastTime: newest.time, rows: scan.rows, ...(scan.lastKey !== undefined ? { rowKey: scan.lastKey } : {}) };
  const unchanged = checkpoint !== undefined && checkpoint.rows === done.rows && checkpoint.rowKey === done.rowKey && checkpoint.lastTime === done.lastTime;
  await committer.finish(unchanged ? undefined : done, !unchanged);
  result.rows = scan.rows;
  if (o.clockReading !== undefined && continuity === 'kept' && scan.errors === 0) {
    await o.ctx.watermark.advance({ completeThroughLocal: completeThroughOfReading(o.clockReading), basis: 'download' });
  }
  if (o.cfg.clearAfterDownload && scan.rows > 0) result.cleared = await clearIfUnchanged(o, result, scan);
  return result;
}

/** Whether a row is new to a poll, before the log's length is known (see the header). */
function isNew(r: AttRecord, cp: SoapCheckpoint | undefined): boolean {
  return cp === undefined || cp.lastTime === undefined || r.row >= cp.rows || r.localTime >= cp.lastTime;
}

/**
 * One streamed read of the whole log: each slice decoded, its picked records handed to the
 * committer before the next slice is read. Body-level problems are counted as rejections before
 * they propagate; commits already in flight settle before the error does.
 */
async function readPass(o: SyncOptions, result: SoapSyncResult, committer: Committer, plan: PassPlan): Promise<LogScan> {
  const scan: LogScan = { rows: 0, errors: 0 };
  const peak = (chars: number): void => void (result.peakHeld.chars = Math.max(result.peakHeld.chars, chars));
  try {
    const slices = o.client.stream('GetAttLog', [{ name: 'PIN', value: ALL_PINS, type: 'integer' }], { rowsPerSlice: BATCH, signal: o.signal, peak });
    for await (const doc of slices) {
      const log = decodeAttLog(doc, scan.rows);
      const rows = log.records.length + log.errors.length;
      committer.holding(rows);
      for (const e of log.errors) {
        scan.errors++;
        if (!plan.countErrors) continue;
        const reason = `zk-soap-row-${e.code}` as const;
        result.rejected++;
        o.ctx.status.rejected(reason, e.excerpt);
        o.ctx.log.warn({ row: e.row, code: rejectionCode(reason), reason, err: e.message, excerpt: e.excerpt }, 'zk-soap log row rejected');
      }
      if (rows > 0) {
        const last = scan.rows + rows - 1;
        scan.lastKey = rowKeyAt(log, last);
        if (plan.keyIndex !== undefined && plan.keyIndex >= scan.rows && plan.keyIndex <= last) scan.keyAt = rowKeyAt(log, plan.keyIndex);
      }
      scan.rows += rows;
      committer.total = scan.rows;
      if (plan.pick) await committer.add(log.records.filter(plan.pick));
      committer.holding(0);
    }
    return scan;
  } catch (error) {
    await committer.abandon();
    if (error instanceof SoapBodyError) o.ctx.status.rejected(error.rejection, error.message);
    if (!(error instanceof DecodeError)) throw error;
    o.ctx.status.rejected(error.code, error.message);
    throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `GetAttLog: ${error.message}`, { cause: error });
  }
}

/**
 * The commit side of the pipeline: new records gathered into batches of BATCH, each committed
 * (oldest first within it) while the next slice is read; at most COMMITS_IN_FLIGHT at a time, and
 * the batch that carries the checkpoint only after every earlier one committed.
 */
class Committer {
  /** rows of the log read so far (the progress total) */
  total = 0;
  private fresh: AttRecord[] = [];
  private readonly inFlight: { done: Promise<void>; rows: number }[] = [];
  private slice = 0;

  constructor(
    private readonly o: SyncOptions,
    private readonly result: SoapSyncResult,
    private readonly newest: { time: string | undefined },
  ) {}

  /** rows of the slice being sorted out, held next to the batches */
  holding(rows: number): void {
    this.slice = rows;
    this.notePeak();
  }

  async add(records: AttRecord[]): Promise<void> {
    for (const r of records) {
      if (this.newest.time === undefined || r.localTime > this.newest.time) this.newest.time = r.localTime;
      this.fresh.push(r);
      this.notePeak();
      // a full batch commits once another record follows it: the last batch is kept for the checkpoint
      if (this.fresh.length > BATCH) await this.commit(this.fresh.splice(0, BATCH), undefined);
    }
  }

  /** Commits what is left, with `checkpoint` when given (also with no punch, when `always`); waits for every commit. */
  async finish(checkpoint: SoapCheckpoint | undefined, always = false): Promise<void> {
    const batch = this.fresh;
    this.fresh = [];
    if (batch.length > 0 || (checkpoint && always)) await this.commit(batch, checkpoint);
    await this.settle(0);
  }

  /** A failed read: let the commits in flight settle (what they commit stays committed). */
  async abandon(): Promise<void> {
    this.fresh = [];
    await Promise.allSettled(this.inFlight.map((c) => c.done));
  }

  private async commit(batch: AttRecord[], checkpoint: SoapCheckpoint | undefined): Promise<void> {
    this.o.signal.throwIfAborted();
    await this.settle(checkpoint ? 0 : COMMITS_IN_FLIGHT - 1);
    batch.sort((a, b) => (a.localTime < b.localTime ? -1 : a.localTime > b.localTime ? 1 : a.row - b.row));
    const done = this.o.ctx.emitMany(batch.map((r) => toRawPunch(r, this.o.cfg)), checkpoint ? { [CHECKPOINT_KEY]: checkpoint } : undefined).then((committed) => {
      countCommitted(this.result, batch.length, committed);
      this.o.onEmit?.(this.result.skipped + this.result.rejected + this.result.emitted, this.total);
    });
    done.catch(() => undefined); // awaited by settle(); a failure must not go unhandled meanwhile
    this.inFlight.push({ done, rows: batch.length });
    this.notePeak();
    if (checkpoint) await this.settle(0);
  }

  private async settle(keep: number): Promise<void> {
    while (this.inFlight.length > keep) await this.inFlight.shift()!.done;
  }

  private notePeak(): void {
    const held = this.slice + this.fresh.length + this.inFlight.reduce((n, c) => n + c.rows, 0);
    this.result.peakHeld.rows = Math.max(this.result.peakHeld.rows, held);
  }
}

/**
 * Whether the log is the one the last complete poll read, grown only at its end: `kept`, `broken`
 * (shorter, or another row where it ended), or `unknown` (a checkpoint from before `rowKey` existed).
 */
function continuityOf(scan: LogScan, cp: SoapCheckpoint | undefined): 'kept' | 'broken' | 'unknown' {
  if (!cp || cp.rows === 0) return 'kept';
  if (scan.rows < cp.rows) return 'broken';
  if (cp.rowKey === undefined) return 'unknown';
  return scan.keyAt === cp.rowKey ? 'kept' : 'broken';
}

/** The records a poll must commit, oldest first (stable for equal times), given the whole log's row count. */
export function newRecords(records: readonly AttRecord[], rows: number, cp: SoapCheckpoint | undefined): AttRecord[] {
  const everything = cp === undefined || cp.lastTime === undefined || rows < cp.rows;
  const picked = everything ? [...records] : records.filter((r) => isNew(r, cp));
  return picked.sort((a, b) => (a.localTime < b.localTime ? -1 : a.localTime > b.localTime ? 1 : a.row - b.row));
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

/** The row at `index` of a slice as it was sent (fields as JSON, or the excerpt of a bad row); undefined when there is none. */
function rowKeyAt(log: AttLog, index: number): string | undefined {
  const row = log.records.find((r) => r.row === index) ?? log.errors.find((e) => e.row === index);
  if (!row) return undefined;
  return 'fields' in row ? JSON.stringify(row.fields) : row.excerpt;
}

async function clearIfUnchanged(o: SyncOptions, result: SoapSyncResult, downloaded: LogScan): Promise<boolean> {
  const again = await readPass(o, result, new Committer(o, result, { time: undefined }), { countErrors: false });
  if (again.rows !== downloaded.rows || again.lastKey !== downloaded.lastKey) {
    o.ctx.log.info({ downloaded: downloaded.rows, now: again.rows }, 'zk-soap log changed since the download; clearing postponed to the next poll');
    return false;
  }
  o.ctx.watermark.freeze(CLEAR_UNGUARDED);
  await o.client.call('ClearData', [{ name: 'Value', value: String(CLEAR_DATA_ATTLOG), type: 'integer' }], o.signal);
  const cp = o.ctx.checkpoint.get<SoapCheckpoint>(CHECKPOINT_KEY);
  o.ctx.checkpoint.set(CHECKPOINT_KEY, { lastTime: cp?.lastTime, rows: 0 } satisfies SoapCheckpoint);
  o.ctx.log.info({ cleared: downloaded.rows }, 'zk-soap attendance log cleared after a committed download');
  return true;
}
