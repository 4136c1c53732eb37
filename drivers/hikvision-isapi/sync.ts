// One AcsEvent search: page through the terminal's event log since the checkpoint and commit the
// attendance events, advancing the checkpoint only when the whole search is committed.
// Invariants:
// - The same searchID is kept while responseStatusStrg is MORE; the position advances by the
//   number of InfoList items actually returned (terminals return fewer than maxResults).
// - Each page is sorted by serialNo before it is emitted (terminals return pages out of order).
// - Pages are committed as they come (emitMany), the cursor {serialNo, time} only with the last
//   one: pages may be out of order among themselves, so a cursor taken mid-search could skip
//   events. A search cut short re-reads from the old cursor; punch ids make the re-read harmless.
// - Paging overlaps: page k+1 is asked for as soon as page k is counted, before k is mapped, and
//   page k commits while k+1 is on the wire (one request and one commit in flight, each settled
//   before the next starts). The last page, with the cursor, commits after every page before it;
//   a search returns, or throws, only once every request and commit it started has settled.
// - The next search starts at the cursor time (inclusive): same-second events are not lost.
// - Backfill mode (`backfillFromMs`: `pull`) searches from that instant instead, with the same
//   paging and mapping, and neither reads nor moves the cursor.
// - A search ends: a terminal answering MORE past `maxEvents` (MAX_SEARCH_EVENTS) is refused
//   (GW_ERR_DEVICE_PROTOCOL, counted acs-search-unbounded) and the cursor stays where it was.
//   `totalMatches` is the terminal's word and only feeds progress; nothing is sized by it. A page
//   over the client's body limit is counted (isapi-body-too-large) and ends the search the same way.
import { randomUUID } from 'node:crypto';
import type { DriverContext, EmitResult } from '../../src/devices/driver.js';
import { countCommitted, emptySyncResult, type SyncResult } from '../../src/devices/syncResult.js';
import type { RawPunch } from '../../src/punch/punch.js';
import type { RejectionReason } from '../../src/util/catalogue.js';
import { formatLocal, formatOffset, zoneOffsetMinutes } from '../../src/punch/time.js';
import { DecodeError, GatewayError } from '../../src/util/errors.js';
import { IsapiBodyTooLarge, type IsapiClient } from './client.js';
import { decodeAcsEventPage, encodeAcsEventCond, epochOf, parseIsapiTime, type AcsEventRecord } from './codec.js';
import { toPunch, type MappingConfig } from './punches.js';
import { ISAPI_PATHS } from './tables.js';

export const CURSOR_KEY = 'acsEventCursor';

/**
 * Events one search may return before it is taken for a terminal that never ends it. The sources
 * give no ISAPI log capacity: this is the zk-tcp driver's ceiling for a terminal's attendance log.
 */
export const MAX_SEARCH_EVENTS = 2_000_000;

export interface AcsCursor {
  /** highest serialNo seen by the last complete search */
  serialNo: number | null;
  /** latest event time of the last complete search, as the terminal wrote it */
  time: string;
  epochMs: number;
}

export interface SyncOptions {
  client: IsapiClient;
  ctx: DriverContext;
  mapping: MappingConfig;
  pageSize: number;
  lookbackMs: number;
  nowMs?: number;
  /** backfill (`pull`): search from this instant, and neither read nor move the cursor */
  backfillFromMs?: number;
  /** after each committed page: events read so far, of the search's totalMatches */
  onPage?: (done: number, total: number) => void;
  /** called for each mapped punch's zone mismatch and each ignored event */
  onMapped?: (outcome: { zoneMismatchMin?: number; ignored?: string }) => void;
  /** events one search may return (default MAX_SEARCH_EVENTS) */
  maxEvents?: number;
}

/**
 * One search: the shared counts (src/devices/syncResult.ts; nothing is skipped, `emitted` counts
 * valid and invalid punches) and the ISAPI ones: pages, events read, events that mapped to a punch,
 * events that are not punches, the cursor it reached.
 */
export interface AcsSyncResult extends SyncResult {
  pages: number;
  events: number;
  punches: number;
  ignored: number;
  cursor: AcsCursor | undefined;
}

/** ISO 8601 with the zone's offset, as AcsEventCond wants it. */
export function isapiTimeOf(epochMs: number, zone: string): string {
  const offset = zoneOffsetMinutes(zone, epochMs);
  return `${formatLocal(epochMs, offset)}${formatOffset(offset)}`;
}

export async function syncEvents(o: SyncOptions): Promise<AcsSyncResult> {
  const nowMs = o.nowMs ?? Date.now();
  const backfill = o.backfillFromMs !== undefined;
  const previous = backfill ? undefined : o.ctx.checkpoint.get<AcsCursor>(CURSOR_KEY);
  const startTime = isapiTimeOf(o.backfillFromMs ?? previous?.epochMs ?? nowMs - o.lookbackMs, o.mapping.zone);
  // a day ahead: a terminal clock running fast must not hide its newest events
  const endTime = isapiTimeOf(nowMs + 86_400_000, o.mapping.zone);
  const searchId = randomUUID();
  const result: AcsSyncResult = { pages: 0, events: 0, punches: 0, ...emptySyncResult(), ignored: 0, cursor: previous };
  let cursor = previous;
  let committing: Promise<void> | undefined;
  const cond = { searchId, maxResults: o.pageSize, startTime, endTime };
  // the page last asked for: awaited at the top of the loop, or (settled or not) below
  let asked = fetchPage(o, { ...cond, position: 0 });
  asked.catch(() => undefined);
  try {
    for (let position = 0; ; ) {
      const page = await asked;
      const { returned, last } = countPage(o, result, page, position, searchId);
      position += returned;
      // the next page is asked for before this one is mapped: the terminal sends it meanwhile
      if (!last) {
        asked = fetchPage(o, { ...cond, position });
        asked.catch(() => undefined);
      }
      await committing; // the page before commits while this one is on the wire
      committing = undefined;
      const { raws, sorted } = mapPage(o, result, page);
      for (const record of sorted) cursor = later(cursor, record);
      const checkpoint = !backfill && last && cursor ? { [CURSOR_KEY]: cursor } : undefined;
      const progress = [position, Math.max(position, page.totalMatches)] as const;
      committing = emit(o.ctx, raws, checkpoint).then((committed) => {
        countCommitted(result, raws.length, committed);
        o.onPage?.(...progress);
      });
      committing.catch(() => undefined); // awaited after the next page, or below
      if (last) break;
    }
    await committing;
  } finally {
    // a failed page returns only once the commit before it, and the page asked for after it, settled
    await committing?.catch(() => undefined);
    await asked.catch(() => undefined);
  }
  result.cursor = cursor;
  return result;
}

/** Counts one page; throws for a search that does not end. */
function countPage(o: SyncOptions, result: AcsSyncResult, page: AcsEventPage, position: number, searchId: string): { returned: number; last: boolean } {
  result.pages += 1;
  const returned = page.records.length + page.errors.length;
  for (const error of page.errors) reject(o.ctx, result, error.code, `record ${position + error.index}: ${error.message}: ${error.excerpt}`);
  result.events += returned;
  const reached = position + returned;
  if (page.status === 'MORE' && returned === 0) {
    throw new GatewayError('GW_ERR_DOWNLOAD_INCOMPLETE', `AcsEvent search ${searchId}: MORE with no records at position ${reached}; the cursor stays where it was`);
  }
  const maxEvents = o.maxEvents ?? MAX_SEARCH_EVENTS;
  if (page.status === 'MORE' && reached >= maxEvents) {
    const message = `AcsEvent search ${searchId}: still MORE after ${reached} events, more than a terminal holds (${maxEvents}); the cursor stays where it was`;
    o.ctx.status.rejected('acs-search-unbounded', message);
    throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', message);
  }
  return { returned, last: page.status !== 'MORE' };
}

/** Maps one page, in serialNo order. */
function mapPage(o: SyncOptions, result: AcsSyncResult, page: AcsEventPage): { raws: RawPunch[]; sorted: AcsEventRecord[] } {
  const sorted = [...page.records].sort((a, b) => (a.serialNo ?? 0) - (b.serialNo ?? 0));
  return { raws: sorted.flatMap((record) => mapRecord(o, result, record)), sorted };
}

type AcsEventPage = ReturnType<typeof decodeAcsEventPage>;

async function fetchPage(o: SyncOptions, cond: Parameters<typeof encodeAcsEventCond>[0]) {
  const response = await o.client.postJson(ISAPI_PATHS.acsEvent, encodeAcsEventCond(cond)).catch((error: unknown) => {
    if (error instanceof IsapiBodyTooLarge) o.ctx.status.rejected(error.rejection, error.message);
    throw error;
  });
  try {
    return decodeAcsEventPage(response.text);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    o.ctx.status.rejected(error.code, `${error.message}: ${response.text.slice(0, 120)}`);
    throw new GatewayError('GW_ERR_DECODE', `AcsEvent page at position ${cond.position}: ${error.message}`, { cause: error });
  }
}

function mapRecord(o: SyncOptions, result: AcsSyncResult, record: AcsEventRecord): RawPunch[] {
  const outcome = toPunch(record, 'acs-event', o.mapping);
  if (outcome.kind === 'ignored') {
    result.ignored += 1;
    o.onMapped?.({ ignored: outcome.reason });
    return [];
  }
  if (outcome.kind === 'invalid') {
    reject(o.ctx, result, outcome.reason, outcome.detail);
    return [outcome.raw];
  }
  result.punches += 1;
  o.onMapped?.({ zoneMismatchMin: outcome.zoneMismatchMin });
  return [outcome.raw];
}

function reject(ctx: DriverContext, result: AcsSyncResult, reason: RejectionReason, detail: string): void {
  result.rejected += 1;
  ctx.status.rejected(reason, detail);
}

function later(cursor: AcsCursor | undefined, record: AcsEventRecord): AcsCursor | undefined {
  const time = parseIsapiTime(record.time);
  const epochMs = time ? epochOf(time) : undefined;
  if (epochMs === undefined) return cursor;
  const serialNo = Math.max(cursor?.serialNo ?? -1, record.serialNo ?? -1);
  const next = { serialNo: serialNo < 0 ? null : serialNo, time: cursor?.time ?? record.time, epochMs: cursor?.epochMs ?? epochMs };
  if (epochMs >= next.epochMs) {
    next.epochMs = epochMs;
    next.time = record.time;
  }
  return next;
}

function emit(ctx: DriverContext, raws: RawPunch[], checkpoint: Record<string, unknown> | undefined): Promise<EmitResult> {
  if (raws.length === 0 && !checkpoint) return Promise.resolve({ inserted: 0, duplicates: 0, quarantined: 0 });
  return ctx.emitMany(raws, checkpoint);
}
