// src/buffer/queries.ts on real SQLite files written by SqlitePunchBuffer: the searches use their
// indexes, per-sink states, stats from a second connection, replay/purge, time bounds.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { utcBound } from '../../src/api/timeBounds.js';
import {
  knownSinks,
  listDeadLetters,
  listUnsent,
  openBufferFile,
  purgeDeadLetters,
  queueStats,
  replayDeadLetters,
  searchPunches,
  SEARCH_SQL,
} from '../../src/buffer/queries.js';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import type { SqliteDatabase } from '../../src/buffer/database.js';
import { unsequenced } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let buffer: SqlitePunchBuffer;
let reader: SqliteDatabase | undefined;
const sinks = ['https', 'mqtt'];

beforeEach(async () => {
  tmp = tempDir();
  buffer = new SqlitePunchBuffer({ file: join(tmp.dir, 'buffer.db'), sinks, cursorFlushMs: 1 });
  await buffer.commit({
    punches: [
      unsequenced(1, 'dev-1', { pin: '00123', localTime: '2026-01-19T07:00:00' }),
      unsequenced(2, 'dev-1', { pin: '00123', localTime: '2026-01-19T17:00:00' }),
      unsequenced(3, 'dev-2', { pin: '00123', localTime: '2026-01-20T07:00:00' }),
      unsequenced(4, 'dev-2', { pin: '555', localTime: '2026-01-20T08:00:00' }),
    ],
  });
});
afterEach(() => {
  reader?.close();
  reader = undefined;
  buffer.close();
  tmp.cleanup();
});

function plan(db: SqliteDatabase, sql: string, ...params: unknown[]): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('\n');
}

describe('search', () => {
  it('uses punches_pin_utc, punches_device_utc and punches_utc', () => {
    const db = buffer.database;
    const pin = plan(db, SEARCH_SQL.pin, '1', '', '~', null, null, 5);
    expect(pin).toMatch(/SEARCH punches USING INDEX punches_pin_utc \(pin=\? AND utc>\? AND utc<\?\)/);
    expect(plan(db, SEARCH_SQL.device, 'd', '', '~', 5)).toMatch(/SEARCH punches USING INDEX punches_device_utc \(device_id=\? AND utc>\? AND utc<\?\)/);
    const time = plan(db, SEARCH_SQL.time, '', '~', 5);
    expect(time).toMatch(/SEARCH punches USING INDEX punches_utc \(utc>\? AND utc<\?\)/);
    for (const p of [pin, time]) expect(p).not.toMatch(/TEMP B-TREE/);
  });

  it('reads the publish head by rowid, and the API takes cursors from memory (no count(*) per search)', () => {
    // issue 9 (npm run bench:scale): these must not grow with a 90-day buffer
    expect(plan(buffer.database, 'SELECT seq, id, body FROM punches WHERE seq > ? ORDER BY seq LIMIT ?', 0, 5)).toMatch(/SEARCH punches USING INTEGER PRIMARY KEY \(rowid>\?\)/);
    buffer.pending('mqtt', 10);
    buffer.ack('mqtt', buffer.pending('https', 2).map((p) => p.id));
    expect(buffer.ackedSeqs()).toEqual(new Map([['https', 0], ['mqtt', 2]]));
  });

  it('filters by pin, device and time, newest first', () => {
    const db = buffer.database;
    const pins = searchPunches(db, { pin: '00123', limit: 10 }, { sinks });
    expect(pins.map((p) => p.punch.seq)).toEqual([3, 2, 1]);
    expect(searchPunches(db, { pin: '00123', device: 'dev-1', limit: 10 }, { sinks }).map((p) => p.punch.seq)).toEqual([2, 1]);
    expect(searchPunches(db, { device: 'dev-2', limit: 1 }, { sinks }).map((p) => p.punch.seq)).toEqual([4]);
    const since = utcBound('2026-01-19T17:00', 'Asia/Jakarta', 'since');
    const until = utcBound('2026-01-20', 'Asia/Jakarta', 'until');
    expect(searchPunches(db, { sinceUtc: since, untilUtc: until, limit: 10 }, { sinks }).map((p) => p.punch.seq)).toEqual([4, 3, 2]);
    expect(searchPunches(db, { pin: 'nobody', limit: 10 }, { sinks })).toEqual([]);
  });

  it('derives each sink state: acked (with acked_at), pending, dead-lettered, replay-queued', () => {
    const ids = searchPunches(buffer.database, { limit: 10 }, { sinks }).map((p) => p.punch.id).reverse();
    buffer.pending('mqtt', 10);
    buffer.ack('mqtt', [ids[0]!, ids[1]!, ids[3]!]);
    buffer.deadLetter('mqtt', [{ id: ids[2]!, reason: 'HTTP 422 bad pin' }]);
    buffer.persistCursors();
    const state = (seq: number) => searchPunches(buffer.database, { limit: 10 }, { sinks }).find((p) => p.punch.seq === seq)!.sinks;
    expect(state(1)).toEqual({ https: { state: 'pending' }, mqtt: { state: 'acked', ackedAt: expect.any(String) } });
    expect(state(3).mqtt).toEqual({ state: 'dead-lettered', reason: 'HTTP 422 bad pin', at: expect.any(String), attempts: 1 });
    replayDeadLetters(buffer.database, { ids: [ids[2]!] });
    expect(state(3).mqtt).toEqual({ state: 'replay-queued', requestedAt: expect.any(String) });
  });

  it('prefers fresher in-memory cursors; acked_at is null until the range is persisted', () => {
    const slow = new SqlitePunchBuffer({ file: join(tmp.dir, 'buffer.db'), sinks, cursorFlushMs: 60_000 });
    const [first] = slow.pending('mqtt', 1);
    slow.ack('mqtt', [first!.id]);
    const memory = new Map(slow.stats().sinks.map((s) => [s.sink, s.ackedSeq]));
    expect(searchPunches(slow.database, { pin: first!.pin, limit: 10 }, { sinks: ['mqtt'] }).at(-1)!.sinks.mqtt).toEqual({ state: 'pending' });
    expect(searchPunches(slow.database, { pin: first!.pin, limit: 10 }, { sinks: ['mqtt'], cursors: memory }).at(-1)!.sinks.mqtt).toEqual({ state: 'acked', ackedAt: null });
    slow.close();
  });
});

describe('from a second connection', () => {
  it('reads stats and unsent punches read-only while the owner keeps writing', async () => {
    reader = openBufferFile(buffer.file);
    expect(knownSinks(reader)).toEqual(['https', 'mqtt']);
    buffer.pending('mqtt', 10);
    buffer.ack('mqtt', searchPunches(buffer.database, { limit: 10 }, { sinks }).map((p) => p.punch.id));
    buffer.persistCursors();
    await buffer.commit({ punches: [unsequenced(9, 'dev-1')] });
    const stats = queueStats(reader, { sinks, file: buffer.file });
    expect(stats).toMatchObject({ punches: 5, headSeq: 5, quarantined: 0, sinks: [{ sink: 'https', pending: 5, ackedSeq: 0 }, { sink: 'mqtt', pending: 1, ackedSeq: 4 }] });
    expect(stats.fileBytes).toBeGreaterThan(0);
    expect(listUnsent(reader, { sinks: ['mqtt'], limit: 10 }).map((p) => p.punch.seq)).toEqual([5]);
    expect(listUnsent(reader, { sinks, limit: 3 }).map((p) => p.punch.seq)).toEqual([1, 2, 3]);
    expect(() => reader!.prepare('DELETE FROM punches').run()).toThrow(/readonly/);
  });

  it('replays and purges dead letters in their own transactions, reporting unknown ids', () => {
    const ids = searchPunches(buffer.database, { limit: 10 }, { sinks }).map((p) => p.punch.id).reverse();
    buffer.pending('mqtt', 10);
    buffer.pending('https', 10);
    buffer.deadLetter('mqtt', [{ id: ids[0]!, reason: 'r0' }, { id: ids[1]!, reason: 'r1' }]);
    buffer.deadLetter('https', [{ id: ids[0]!, reason: 'h0' }]);
    const writer = openBufferFile(buffer.file, { write: true });
    const missing = 'f'.repeat(32);
    const replayed = replayDeadLetters(writer, { sink: 'mqtt', ids: [ids[0]!, missing] });
    expect(replayed).toEqual({ rows: [{ sink: 'mqtt', seq: 1, punchId: ids[0] }], notFound: [missing] });
    expect(listDeadLetters(writer, { limit: 10 }).map((d) => [d.sink, d.seq])).toEqual([['https', 1], ['mqtt', 2]]);
    expect(buffer.pending('mqtt', 10).map((p) => p.id)).toEqual([ids[0]]);
    expect(purgeDeadLetters(writer, { all: true }).rows).toHaveLength(2);
    expect(listDeadLetters(writer, { limit: 10 })).toEqual([]);
    expect(() => purgeDeadLetters(writer, {})).toThrow(/ids or all/);
    writer.close();
  });

  it('never creates a missing file', () => {
    expect(() => openBufferFile(join(tmp.dir, 'nope.db'))).toThrow(/GW_ERR_BUFFER_UNAVAILABLE|cannot open buffer/);
  });
});

describe('time bounds', () => {
  it.each([
    ['2026-01-19', 'since', '2026-01-18T17:00:00Z'],
    ['2026-01-19', 'until', '2026-01-19T17:00:00Z'],
    ['2026-01-19T07:30', 'since', '2026-01-19T00:30:00Z'],
    ['2026-01-19 07:30:15', 'since', '2026-01-19T00:30:15Z'],
    ['2026-01-19T00:30:15.200Z', 'since', '2026-01-19T00:30:15Z'],
    ['2026-01-19T00:30:15.200Z', 'until', '2026-01-19T00:30:16Z'],
    ['2026-01-19T09:00:00+09:00', 'since', '2026-01-19T00:00:00Z'],
  ] as const)('%s as %s → %s', (text, edge, expected) => {
    expect(utcBound(text, 'Asia/Jakarta', edge)).toBe(expected);
  });

  it('refuses impossible dates', () => {
    expect(utcBound('2026-02-30', 'Asia/Jakarta', 'since')).toBeUndefined();
    expect(utcBound('2026-01-19T25:00', 'Asia/Jakarta', 'since')).toBeUndefined();
  });
});
