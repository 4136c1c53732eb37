// The PunchBuffer contract on real SQLite files (punchBuffer.ts lists the invariants).
import fc from 'fast-check';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { MIGRATIONS } from '../../src/buffer/migrations/index.js';
import { unsequenced } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/broker.js';

let tmp: ReturnType<typeof tempDir>;
let file: string;
beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'buffer.db');
});
afterEach(() => tmp.cleanup());

type Writer = 'inline' | 'thread';
let writer: Writer = 'inline';

function open(sinks = ['mqtt', 'https'], extra: Partial<ConstructorParameters<typeof SqlitePunchBuffer>[0]> = {}): SqlitePunchBuffer {
  return new SqlitePunchBuffer({ file, sinks, writer, ...extra });
}

// The whole contract runs on both writers: commits on a worker thread (production) and inline.
describe.for(['thread', 'inline'] as const)('SqlitePunchBuffer, %s writer', (mode) => {
  beforeEach(() => {
    writer = mode;
  });

  it('opens in WAL with synchronous=FULL and records the schema version', () => {
    const buffer = open();
    const db = buffer.database;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.prepare('SELECT version FROM schema_migrations').all()).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    buffer.close();
  });

  it('commits, drops duplicates by id, and assigns strictly increasing seqs', async () => {
    const buffer = open();
    const first = await buffer.commit({ punches: [unsequenced(1), unsequenced(2)] });
    const second = await buffer.commit({ punches: [unsequenced(2), unsequenced(3)] });
    expect(first).toMatchObject({ inserted: 2, duplicates: 0, seqs: [1, 2] });
    expect(second).toMatchObject({ inserted: 1, duplicates: 1, seqs: [3] });
    const punches = buffer.pending('mqtt', 10);
    expect(punches.map((p) => p.seq)).toEqual([1, 2, 3]);
    expect(punches[0]).toMatchObject({ schema: 'punch/v1', seq: 1 });
    buffer.close();
  });

  it('groups commits made in one tick into one transaction and still answers each caller', async () => {
    const buffer = open();
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => buffer.commit({ punches: [unsequenced(i % 40)] })));
    expect(results.reduce((n, r) => n + r.inserted, 0)).toBe(40);
    expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(10);
    buffer.close();
  });

  it('is durable before commit resolves: another connection sees the punch at once', async () => {
    const buffer = open();
    await buffer.commit({ punches: [unsequenced(7)] });
    const other = new Database(file, { readonly: true });
    expect(other.prepare('SELECT count(*) AS n FROM punches').get()).toEqual({ n: 1 });
    other.close();
    buffer.close();
  });

  it('keeps a cursor per sink and resumes from it after reopening', async () => {
    let buffer = open();
    await buffer.commit({ punches: [1, 2, 3, 4, 5].map((i) => unsequenced(i)) });
    const batch = buffer.pending('mqtt', 3);
    buffer.ack('mqtt', batch.map((p) => p.id));
    expect(buffer.stats().sinks).toMatchObject([
      { sink: 'mqtt', ackedSeq: 3, pending: 2 },
      { sink: 'https', ackedSeq: 0, pending: 5 },
    ]);
    buffer.close();
    buffer = open();
    expect(buffer.pending('mqtt', 10).map((p) => p.seq)).toEqual([4, 5]);
    expect(buffer.pending('https', 10).map((p) => p.seq)).toEqual([1, 2, 3, 4, 5]);
    buffer.close();
  });

  it('advances the cursor only over a fully acked prefix; unacked punches come back after restart', async () => {
    let buffer = open(['mqtt']);
    await buffer.commit({ punches: [1, 2, 3, 4].map((i) => unsequenced(i)) });
    const batch = buffer.pending('mqtt', 4);
    buffer.ack('mqtt', [batch[0]!.id, batch[2]!.id, batch[3]!.id]);
    expect(buffer.stats().sinks[0]!.ackedSeq).toBe(1);
    buffer.close();
    buffer = open(['mqtt']);
    expect(buffer.pending('mqtt', 10).map((p) => p.seq)).toEqual([2, 3, 4]);
    buffer.close();
  });

  it('dead-letters rejected punches, counts them done, and replays them on request', async () => {
    const buffer = open(['https']);
    await buffer.commit({ punches: [1, 2, 3].map((i) => unsequenced(i)) });
    const batch = buffer.pending('https', 3);
    buffer.ack('https', [batch[0]!.id, batch[2]!.id]);
    buffer.deadLetter('https', [{ id: batch[1]!.id, reason: 'http 422: unknown pin' }]);
    expect(buffer.stats().sinks[0]).toMatchObject({ ackedSeq: 3, pending: 0, deadLetters: 1 });
    expect(buffer.deadLetters('https')).toMatchObject([{ seq: 2, reason: 'http 422: unknown pin', attempts: 1 }]);
    buffer.database.prepare("INSERT INTO replay_queue (sink, seq, requested_at) VALUES ('https', 2, 'now')").run();
    const replay = buffer.pending('https', 10);
    expect(replay.map((p) => p.seq)).toEqual([2]);
    expect(buffer.pending('https', 10)).toEqual([]);
    buffer.ack('https', [replay[0]!.id]);
    expect(buffer.stats().sinks[0]).toMatchObject({ pending: 0, replayQueued: 0 });
    buffer.close();
  });

  it('commits checkpoint values in the same transaction as punches', async () => {
    let buffer = open();
    await buffer.commit({ punches: [unsequenced(1)], checkpoint: { deviceId: 'dev-1', values: { lastIndex: 41, stamp: 'x' } } });
    expect(buffer.getCheckpoint('dev-1', 'lastIndex')).toBe(41);
    buffer.close();
    buffer = open();
    expect(buffer.getCheckpoint('dev-1', 'stamp')).toBe('x');
    expect(buffer.getCheckpoint('dev-2', 'stamp')).toBeUndefined();
    buffer.close();
  });

  it('rejects commits when the disk is full and keeps the checkpoint where it was', async () => {
    const buffer = open(['mqtt'], { maxPageCount: 40 });
    buffer.setCheckpoint('dev-1', { lastIndex: 0 });
    let failure: unknown;
    for (let round = 0; round < 200 && !failure; round += 1) {
      const punches = Array.from({ length: 50 }, (_, i) => unsequenced(round * 50 + i));
      await buffer.commit({ punches, checkpoint: { deviceId: 'dev-1', values: { lastIndex: round } } }).catch((error: unknown) => {
        failure = error;
      });
    }
    expect(failure).toMatchObject({ code: 'GW_ERR_BUFFER_UNAVAILABLE' });
    const kept = buffer.getCheckpoint('dev-1', 'lastIndex') as number;
    const committed = buffer.stats().punches;
    expect(committed).toBe((kept + 1) * 50);
    buffer.close();
  });

  it('never reuses a seq after retention removed every row', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const buffer = open(['mqtt'], { now: () => now });
    await buffer.commit({ punches: [1, 2].map((i) => unsequenced(i)) });
    buffer.ack('mqtt', buffer.pending('mqtt', 10).map((p) => p.id));
    now += 91 * 86_400_000;
    // receivedAt comes from the punch, which was built with the real clock: prune with a tiny retention
    expect(buffer.prune(-365 * 86_400_000)).toBe(2);
    expect(buffer.stats().punches).toBe(0);
    const result = await buffer.commit({ punches: [unsequenced(3)] });
    expect(result.seqs).toEqual([3]);
    buffer.close();
  });

  it('retention keeps punches a sink has not acked and dead letters', async () => {
    const buffer = open(['mqtt', 'https']);
    await buffer.commit({ punches: [1, 2, 3].map((i) => unsequenced(i)) });
    const forMqtt = buffer.pending('mqtt', 3);
    buffer.ack('mqtt', forMqtt.map((p) => p.id));
    const forHttps = buffer.pending('https', 2);
    buffer.ack('https', [forHttps[0]!.id]);
    buffer.deadLetter('https', [{ id: forHttps[1]!.id, reason: 'bad' }]);
    expect(buffer.prune(-365 * 86_400_000)).toBe(1);
    expect(buffer.database.prepare('SELECT seq FROM punches ORDER BY seq').all()).toEqual([{ seq: 2 }, { seq: 3 }]);
    buffer.close();
  });

  it('replaces a writer thread that died, and commits again', async (ctx) => {
    if (mode !== 'thread') return ctx.skip();
    const buffer = open(['mqtt']);
    await buffer.commit({ punches: [unsequenced(1)] });
    const writer = (buffer as unknown as { writer: { crashForTest(): Promise<number>; broken: boolean } }).writer;
    await writer.crashForTest();
    await until(() => writer.broken, 5000, 'writer noticed dead');
    expect(await buffer.commit({ punches: [unsequenced(2)] })).toMatchObject({ inserted: 1, seqs: [2] });
    buffer.close();
  });

  it('refuses a buffer written by a newer schema version', () => {
    open().close();
    const db = new Database(file);
    db.prepare("INSERT INTO schema_migrations VALUES (99, 'future', 'x')").run();
    db.close();
    expect(() => open()).toThrow(/newer than this gateway knows/);
  });

  it('model: under any interleaving of commits, sends, acks, rejects and restarts, every punch ends acked or dead-lettered once per sink', async () => {
    const command = fc.oneof(
      fc.record({ op: fc.constant('commit' as const), ids: fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 1, maxLength: 8 }) }),
      fc.record({ op: fc.constant('send' as const), sink: fc.constantFrom('a', 'b'), n: fc.integer({ min: 1, max: 6 }), outcome: fc.array(fc.constantFrom('ack', 'reject', 'lose'), { minLength: 6, maxLength: 6 }) }),
      fc.record({ op: fc.constant('restart' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands) => {
        const local = tempDir();
        const path = join(local.dir, 'model.db');
        let buffer = new SqlitePunchBuffer({ file: path, sinks: ['a', 'b'], writer: mode });
        const committed = new Set<string>();
        const done = { a: new Set<string>(), b: new Set<string>() };
        try {
          for (const cmd of commands) {
            if (cmd.op === 'commit') {
              await buffer.commit({ punches: cmd.ids.map((i) => unsequenced(i)) });
              for (const i of cmd.ids) committed.add(unsequenced(i).id);
            } else if (cmd.op === 'restart') {
              buffer.close();
              buffer = new SqlitePunchBuffer({ file: path, sinks: ['a', 'b'], writer: mode });
            } else {
              const batch = buffer.pending(cmd.sink, cmd.n);
              batch.forEach((p, i) => {
                if (cmd.outcome[i] === 'ack') buffer.ack(cmd.sink, [p.id]);
                if (cmd.outcome[i] === 'reject') buffer.deadLetter(cmd.sink, [{ id: p.id, reason: 'model' }]);
                if (cmd.outcome[i] !== 'lose') done[cmd.sink].add(p.id);
              });
            }
          }
          // drain: whatever was lost in flight must come back after a restart
          buffer.close();
          buffer = new SqlitePunchBuffer({ file: path, sinks: ['a', 'b'], writer: mode });
          for (const sink of ['a', 'b'] as const) {
            for (let batch = buffer.pending(sink, 7); batch.length > 0; batch = buffer.pending(sink, 7)) {
              buffer.ack(sink, batch.map((p) => p.id));
              for (const p of batch) done[sink].add(p.id);
            }
            expect([...done[sink]].sort()).toEqual([...committed].sort());
            expect(buffer.stats().sinks.find((s) => s.sink === sink)?.pending).toBe(0);
          }
          const seqs = buffer.database.prepare('SELECT seq FROM punches ORDER BY seq').all() as { seq: number }[];
          expect(seqs.map((r) => r.seq)).toEqual(seqs.map((_, i) => i + 1));
        } finally {
          buffer.close();
          local.cleanup();
        }
      }),
      // starting a writer thread under the test transpiler costs ~0.3 s: fewer runs there
      { numRuns: mode === 'inline' ? 60 : 6 },
    );
  });
});
