// The driver's reads from the bridge: the steady /scanlog/new poll and the /scanlog/all/paging read
// (first-start backfill, recovery after an interrupted read, periodic reconciliation, and `pull`'s
// pagingPasses, which touches no checkpoint: backfill.ts).
// Invariants (at-least-once across the bridge's single-consumer cursor):
// - /scanlog/new marks rows downloaded inside the bridge BEFORE the gateway has committed them. So
//   every consuming read is bracketed by an `inflight` marker in the checkpoint: set (committed)
//   before the request, cleared only in the same transaction as the rows (emitMany). A marker found
//   later means rows may be lost from /scanlog/new: the next cycle re-reads the log through paging
//   from `inflight.since − reconcileLookback` and commits it; punch ids make the repeats duplicates.
// - A paging read is complete (the bridge said IsSession false or sent no rows) before the marker
//   is cleared. If it saw fewer rows than /dev/info counts, the bridge's paging session was already
//   under way (another client, or our own interrupted read): it reads once more from the start.
// - Paging overlaps: page k is committed while page k+1 is asked for (one commit in flight). A
//   read returns, or throws, only once every commit it started has settled; the marker is still
//   cleared only after the whole read committed.
// - Rows before `since` are skipped (importSince, for every read; the recovery window), never rejected.
// - Bad rows are counted rejections; good rows of the same reply are still committed.
import type { DriverContext } from '../../src/devices/driver.js';
import { countCommitted, emptySyncResult, type SyncResult } from '../../src/devices/syncResult.js';
import type { RawPunch } from '../../src/punch/punch.js';
import { rejectionCode } from '../../src/util/catalogue.js';
import { GatewayError } from '../../src/util/errors.js';
import { formatWallTime, fullLocalTime, parseWallTime, wallFromSeconds, wallSeconds, wallTimeIn } from '../../src/punch/time.js';
import type { EasyLinkClient } from './client.js';
import { toRawPunch, type CodeTables, type ScanlogReply, type ScanRow } from './codec.js';

export const CHECKPOINT_KEY = 'fingerspot.state';

export interface EasyLinkCheckpoint {
  serial: string;
  /** the first-start backfill has committed */
  backfilled: boolean;
  /** a consuming read started and its rows may not all be committed */
  inflight?: { since: string; startedAtMs: number; endpoint: 'new' | 'paging' };
  /** terminal wall time at the start of the last completed consuming read */
  lastReadLocal?: string;
  lastReconcileAtMs?: number;
  /** newest committed scan, terminal wall time */
  lastLocalTime?: string;
  /**
   * the first row of the log (its fields as JSON) at the last paging that proved a watermark; null:
   * the log was empty then. A later paging that starts with another row read a cleared or replaced log.
   */
  provenFirstRow?: string | null;
}

export interface ReadContext {
  client: EasyLinkClient;
  ctx: DriverContext;
  serial: string;
  tables: CodeTables;
  pageSize: number;
  maxPages: number;
  /** terminal wall time now, `YYYY-MM-DDTHH:mm:ss` */
  deviceNow: () => string;
  /** importSince as a full wall time: scans before it are never committed, whatever read returns them */
  floor: string | undefined;
  signal: AbortSignal;
}

/** One read: the shared counts (src/devices/syncResult.ts) and the rows the bridge returned, good and bad. */
export interface ReadResult extends SyncResult {
  rows: number;
}

const emptyResult = (): ReadResult => ({ rows: 0, ...emptySyncResult() });

export function loadCheckpoint(ctx: DriverContext, serial: string): EasyLinkCheckpoint {
  const cp = ctx.checkpoint.get<EasyLinkCheckpoint>(CHECKPOINT_KEY);
  // another terminal's position means nothing here: start over (backfill; ids dedupe)
  if (!cp || cp.serial.toUpperCase() !== serial.toUpperCase()) return { serial, backfilled: false };
  return cp;
}

/** Terminal wall time `ms` later (negative: earlier). */
export function shiftLocal(localTime: string, ms: number): string {
  const wall = parseWallTime(localTime);
  if (!wall) throw new Error(`not a wall time: ${localTime}`);
  return formatWallTime(wallFromSeconds(wallSeconds(wall) + Math.trunc(ms / 1000)));
}

/** Terminal wall time now: the gateway clock in the terminal zone plus the measured skew. */
export function deviceNowIn(zone: string, skewSec: number | null, nowMs: number = Date.now()): string {
  return formatWallTime(wallTimeIn(zone, nowMs + (skewSec ?? 0) * 1000));
}

/** `2026-01-01` or `2026-01-01T07:00` → a full wall time for string comparison. */
export function normalizeSince(since: string | undefined): string | undefined {
  return since === undefined ? undefined : fullLocalTime(since);
}

function latest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}

/** Rows → punches: foreign serials and bad rows counted as rejections. */
function punchesOf(r: ReadContext, reply: Extract<ScanlogReply, { kind: 'rows' }>, source: 'new' | 'paging', since: string | undefined, result: ReadResult): RawPunch[] {
  for (const e of reply.errors) {
    r.ctx.status.rejected('fingerspot-bad-row', `#${e.index} ${e.message}: ${e.excerpt}`);
    result.rejected++;
  }
  const raws: RawPunch[] = [];
  for (const row of reply.rows) {
    if (!sameSerial(row, r.serial)) {
      r.ctx.status.rejected('fingerspot-sn-mismatch', JSON.stringify(row.fields).slice(0, 200));
      r.ctx.log.error({ code: rejectionCode('fingerspot-sn-mismatch'), expected: r.serial, row: row.fields }, 'the bridge returned a scan of another terminal for this sn; not committed under this device');
      result.rejected++;
    } else if (since !== undefined && row.localTime < since) result.skipped++;
    else raws.push(toRawPunch(row, r.tables, source));
  }
  result.rows += reply.rows.length + reply.errors.length;
  return raws;
}

function sameSerial(row: ScanRow, serial: string): boolean {
  return row.serial.toUpperCase() === serial.toUpperCase();
}

function bridgeFailure(endpoint: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_DEVICE_PROTOCOL', `bridge ${endpoint} answered Result:false: ${message}`);
}

/** /dev/info refused: usually an SN the bridge does not know, or a terminal the bridge cannot reach. */
export function infoFailure(serial: string, message: string): GatewayError {
  return new GatewayError('GW_ERR_DEVICE_PROTOCOL', `bridge /dev/info for sn ${serial}: ${message} (is the SN in FService's Device.ini and the terminal reachable from the bridge?)`);
}

/** The steady poll: one /scanlog/new, its rows committed together with clearing the marker. */
export async function pollNew(r: ReadContext): Promise<ReadResult> {
  const result = emptyResult();
  const startedLocal = r.deviceNow();
  let cp = loadCheckpoint(r.ctx, r.serial);
  if (!cp.inflight) {
    cp = { ...cp, inflight: { since: cp.lastReadLocal ?? startedLocal, startedAtMs: Date.now(), endpoint: 'new' } };
    r.ctx.checkpoint.set(CHECKPOINT_KEY, cp);
  }
  const reply = await r.client.scanlogNew(r.signal);
  if (reply.kind === 'failed') throw bridgeFailure('/scanlog/new', reply.message);
  const done: EasyLinkCheckpoint = { ...cp, inflight: undefined, lastReadLocal: startedLocal };
  if (reply.kind === 'no-data') {
    r.ctx.checkpoint.set(CHECKPOINT_KEY, done);
    return result;
  }
  const raws = punchesOf(r, reply, 'new', r.floor, result);
  done.lastLocalTime = raws.reduce<string | undefined>((max, p) => latest(max, p.localTime), cp.lastLocalTime);
  const committed = await r.ctx.emitMany(raws, { [CHECKPOINT_KEY]: done });
  countCommitted(result, raws.length, committed);
  return result;
}

export interface PagingPlan {
  /** skip rows before this terminal wall time */
  since: string | undefined;
  /** /dev/info's record count, when known: fewer rows seen means a session begun elsewhere */
  expectedRows: number | undefined;
  why: 'backfill' | 'recover' | 'reconcile' | 'pull';
  /** after each page: rows seen in this pass so far */
  onPage?: (rows: number) => void;
}

/** A whole-log paging read, committed page by page; the marker is cleared after the last page. */
export async function pagingRead(r: ReadContext, plan: PagingPlan): Promise<PassResult> {
  const startedLocal = r.deviceNow();
  let cp = loadCheckpoint(r.ctx, r.serial);
  if (!cp.inflight) {
    cp = { ...cp, inflight: { since: cp.lastReadLocal ?? startedLocal, startedAtMs: Date.now(), endpoint: 'paging' } };
    r.ctx.checkpoint.set(CHECKPOINT_KEY, cp);
  }
  const result = await pagingPasses(r, plan);
  const done: EasyLinkCheckpoint = { ...cp, inflight: undefined, backfilled: true, lastReadLocal: startedLocal, lastReconcileAtMs: Date.now(), lastLocalTime: latest(cp.lastLocalTime, result.newest) };
  r.ctx.checkpoint.set(CHECKPOINT_KEY, done);
  return result;
}

/**
 * The whole log through the paging session, committed page by page without checkpoint values; a
 * second pass from the start when the first saw fewer rows than /dev/info counts.
 */
export async function pagingPasses(r: ReadContext, plan: PagingPlan): Promise<PassResult> {
  const first = await pagingPass(r, plan);
  if (plan.expectedRows === undefined || first.rows >= plan.expectedRows) return first;
  r.ctx.log.warn({ code: 'GW_ERR_DOWNLOAD_INCOMPLETE', seen: first.rows, expected: plan.expectedRows, why: plan.why }, 'paging read saw fewer rows than /dev/info counts (a paging session already under way?); reading once more');
  const second = await pagingPass(r, plan);
  if (second.rows < plan.expectedRows) r.ctx.log.warn({ code: 'GW_ERR_DOWNLOAD_INCOMPLETE', seen: second.rows, expected: plan.expectedRows }, 'second paging pass still short; the log may have changed while reading');
  return second.rows >= first.rows ? mergeResults(first, second) : first;
}

function mergeResults(a: PassResult, b: PassResult): PassResult {
  return {
    rows: b.rows, emitted: a.emitted + b.emitted, inserted: a.inserted + b.inserted, duplicates: a.duplicates + b.duplicates,
    skipped: b.skipped, rejected: a.rejected + b.rejected, newest: latest(a.newest, b.newest), ...(b.first !== undefined ? { first: b.first } : {}),
  };
}

/** One paging pass (or two merged): the counts, the newest scan, and the first row of the log. */
export interface PassResult extends ReadResult {
  newest?: string;
  /** the log's first row as sent (fields as JSON); undefined for an empty log */
  first?: string;
}

async function pagingPass(r: ReadContext, plan: PagingPlan): Promise<PassResult> {
  const result: PassResult = emptyResult();
  // page k commits while page k+1 is asked for; one commit in flight, awaited before the next starts
  let committing: Promise<void> | undefined;
  try {
    for (let page = 1; page <= r.maxPages; page++) {
      r.signal.throwIfAborted();
      const reply = await r.client.scanlogPage(r.pageSize, r.signal);
      await committing;
      committing = undefined;
      if (reply.kind === 'failed') throw bridgeFailure('/scanlog/all/paging', reply.message);
      if (reply.kind === 'no-data') break;
      if (page === 1 && reply.rows[0]) result.first = JSON.stringify(reply.rows[0].fields);
      const raws = punchesOf(r, reply, 'paging', plan.since, result);
      if (raws.length > 0) {
        committing = r.ctx.emitMany(raws).then((committed) => {
          countCommitted(result, raws.length, committed);
          result.newest = raws.reduce<string | undefined>((max, p) => latest(max, p.localTime), result.newest);
        });
        committing.catch(() => undefined); // awaited after the next page, or below
      }
      plan.onPage?.(result.rows);
      if (reply.isSession !== true || reply.rows.length + reply.errors.length === 0) break;
      if (page === r.maxPages) r.ctx.log.warn({ code: 'GW_ERR_DOWNLOAD_INCOMPLETE', maxPages: r.maxPages }, 'paging read stopped at maxPages; raise maxPages for a log this big');
    }
    await committing;
  } finally {
    await committing?.catch(() => undefined); // a failed page returns only once the commit before it settled
  }
  return result;
}
