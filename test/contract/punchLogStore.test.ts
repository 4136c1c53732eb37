// The buffer's punch log (src/buffer/logStore.ts) on real SQLite files, against the in-memory
// reference log: leaf i is seq i + 1 whatever the commits, duplicates, retention runs, restarts,
// rolled-back transactions and second connections (CLI `pull`) in between, and every proof the
// store gives verifies against the reference's roots.
import fc from 'fast-check';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/buffer/database.js';
import { MIGRATIONS, MIGRATIONS_WITHOUT_LOG } from '../../src/buffer/migrations/index.js';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { punchLeafHash } from '../../src/log/jcs.js';
import { verifyConsistency, verifyInclusion } from '../../src/log/merkle.js';
import type { PunchLog } from '../../src/log/punchLog.js';
import { readSignedHead, restoredFrom, signedHeadFile, writeSignedHead } from '../../src/log/signedHead.js';
import { MemoryPunchLog } from '../helpers/memoryPunchLog.js';
import { unsequenced } from '../helpers/punches.js';
import { tempDir } from '../helpers/tmp.js';

let tmp: ReturnType<typeof tempDir>;
let file: string;
beforeEach(() => {
  tmp = tempDir();
  file = join(tmp.dir, 'buffer.db');
});
afterEach(() => tmp.cleanup());

function logOf(buffer: SqlitePunchBuffer): PunchLog {
  if (!buffer.log) throw new Error(`the buffer keeps no log: ${buffer.logProblem}`);
  return buffer.log;
}

/** The reference: every punch the file holds or held, in seq order, as its leaves. */
function referenceOf(buffer: SqlitePunchBuffer, reference = new MemoryPunchLog()): MemoryPunchLog {
  const rows = buffer.database.prepare('SELECT body FROM punches WHERE seq > ? ORDER BY seq').all(reference.head().size) as { body: string }[];
  for (const row of rows) reference.append(JSON.parse(row.body) as { seq: number });
  return reference;
}

/** Every proof of the store checks against the reference at a few sizes (all of them when small). */
function expectProofsAgree(log: PunchLog, reference: MemoryPunchLog, rng: () => number = Math.random): void {
  const { size, root } = log.head();
  expect(size).toBe(reference.head().size);
  expect(root.equals(reference.head().root)).toBe(true);
  const sizes = size <= 12 ? Array.from({ length: size + 1 }, (_, i) => i) : [0, 1, size, ...Array.from({ length: 8 }, () => 1 + Math.floor(rng() * size))];
  for (const s of sizes) {
    const r = reference.root(s);
    expect(log.root(s).equals(r), `root(${s})`).toBe(true);
    for (const from of [0, Math.floor(s / 2), Math.max(0, s - 1)]) expect(verifyConsistency(from, s, reference.root(from), r, log.consistencyProof(from, s)), `consistency ${from}→${s}`).toBe(true);
    if (s === 0) continue;
    for (const index of new Set([0, s - 1, Math.floor(rng() * s)])) {
      expect(log.leafHash(index).equals(reference.leafHash(index))).toBe(true);
      expect(verifyInclusion(reference.leafHash(index), index, s, log.inclusionProof(index, s), r), `inclusion ${index} in ${s}`).toBe(true);
    }
  }
}

describe.for(['thread', 'inline'] as const)('the buffer\'s punch log, %s writer', (writer) => {
  it('leaf i is the punch with seq i + 1, its leaf the JCS hash of the punch as committed', async () => {
    const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer });
    expect(logOf(buffer).head()).toMatchObject({ size: 0 });
    const result = await buffer.commit({ punches: [unsequenced(1), unsequenced(2), unsequenced(1), unsequenced(3)] });
    expect(result.seqs).toEqual([1, 2, 3]);
    const log = logOf(buffer);
    expect(log.head().size).toBe(3);
    for (const punch of buffer.pending('mqtt', 10)) expect(log.leafHash(punch.seq - 1).equals(punchLeafHash(punch))).toBe(true);
    expectProofsAgree(log, referenceOf(buffer));
    buffer.close();
  });

  it('batches of several multi-row statements with duplicates in some, and one serialized with the seqs the duplicates did not take: seqs, bodies and leaves as one statement a row would give', async () => {
    const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer });
    await buffer.commit({ punches: Array.from({ length: 40 }, (_, i) => unsequenced(i * 7)) });
    // 0–49: new, with one repeat inside; 50–99: every one there already; 100–179: some there; 180–229: new
    const order = [...Array.from({ length: 50 }, (_, i) => 1000 + i), 1003, ...Array.from({ length: 49 }, (_, i) => i * 7), ...Array.from({ length: 80 }, (_, i) => 200 + i), ...Array.from({ length: 50 }, (_, i) => 2000 + i)];
    // a second commit in the same turn is serialized expecting the first to have no duplicate: its
    // seqs all differ from those it was serialized with, and the writer serializes it again
    const [result, after] = await Promise.all([buffer.commit({ punches: order.map((i) => unsequenced(i)) }), buffer.commit({ punches: Array.from({ length: 120 }, (_, i) => unsequenced(3000 + i)) })]);
    // the model: one row at a time
    const seen = new Set(Array.from({ length: 40 }, (_, i) => i * 7));
    const duplicateAt: number[] = [];
    order.forEach((n, at) => (seen.has(n) ? duplicateAt.push(at) : seen.add(n)));
    expect(result.duplicateAt).toEqual(duplicateAt);
    expect(result.duplicates).toBe(duplicateAt.length);
    expect(result.inserted).toBe(order.length - duplicateAt.length);
    expect(result.seqs).toEqual(Array.from({ length: result.inserted }, (_, i) => 41 + i));
    expect(after.seqs).toEqual(Array.from({ length: 120 }, (_, i) => 41 + result.inserted + i));
    const firstTimes = [...order.filter((n, at) => !duplicateAt.includes(at)), ...Array.from({ length: 120 }, (_, i) => 3000 + i)];
    const stored = buffer.database.prepare('SELECT seq, id, body FROM punches WHERE seq > 40 ORDER BY seq').all() as { seq: number; id: string; body: string }[];
    expect(stored.map((row) => row.id)).toEqual(firstTimes.map((n) => unsequenced(n).id));
    for (const row of stored) expect((JSON.parse(row.body) as { seq: number }).seq).toBe(row.seq);
    expectProofsAgree(logOf(buffer), referenceOf(buffer));
    buffer.close();
  });

  it('keeps its epoch across restarts; another file is another epoch', async () => {
    const first = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer });
    const epoch = logOf(first).epoch;
    expect(epoch).toMatch(/^[0-9a-f]{16}$/);
    await first.commit({ punches: [unsequenced(1)] });
    first.close();
    const again = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer });
    expect(logOf(again).epoch).toBe(epoch);
    again.close();
    const other = new SqlitePunchBuffer({ file: join(tmp.dir, 'other.db'), sinks: ['mqtt'], writer });
    expect(logOf(other).epoch).not.toBe(epoch);
    other.close();
  });
});

describe('the buffer\'s punch log through everything a buffer goes through', () => {
  it('commits, duplicates, retention, restarts and a second connection keep every proof valid (property)', async () => {
    type Step = { kind: 'commit'; ids: number[] } | { kind: 'prune' } | { kind: 'restart' } | { kind: 'pull'; ids: number[] };
    const ids = fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 40 });
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 5, arbitrary: ids.map((list) => ({ kind: 'commit' as const, ids: list })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'prune' as const }) },
      { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
      { weight: 1, arbitrary: ids.map((list) => ({ kind: 'pull' as const, ids: list })) },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), fc.integer(), async (steps, seed) => {
        const runFile = join(tmp.dir, `run-${run++}.db`);
        const open = (): SqlitePunchBuffer => new SqlitePunchBuffer({ file: runFile, sinks: ['mqtt'], writer: 'inline', now: () => Date.now() + 86_400_000 });
        let buffer = open();
        const reference = new MemoryPunchLog(logOf(buffer).epoch);
        let rng = seed;
        const random = (): number => ((rng = (rng * 1103515245 + 12345) % 2 ** 31) < 0 ? -rng : rng) / 2 ** 31;
        for (const s of steps) {
          if (s.kind === 'commit') await buffer.commit({ punches: s.ids.map((i) => unsequenced(i)) });
          if (s.kind === 'pull') {
            const pull = new SqlitePunchBuffer({ file: runFile, sinks: ['mqtt'], writer: 'inline' });
            await pull.commit({ punches: s.ids.map((i) => unsequenced(i, 'dev-pull')) });
            pull.close();
          }
          referenceOf(buffer, reference);
          if (s.kind === 'prune') {
            buffer.ack('mqtt', buffer.pending('mqtt', 10_000).map((p) => p.id));
            buffer.prune(0);
          }
          if (s.kind === 'restart') {
            buffer.close();
            buffer = open();
          }
          expect(buffer.logProblem).toBeUndefined();
          expect(logOf(buffer).head().size).toBe(buffer.headSeq());
          expectProofsAgree(logOf(buffer), reference, random);
        }
        buffer.close();
      }),
      { numRuns: 25 },
    );
  });

  it('a transaction that rolls back (disk full) appends nothing; the next commit goes on from the committed tree', async () => {
    const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'inline' });
    await buffer.commit({ punches: Array.from({ length: 20 }, (_, i) => unsequenced(i)) });
    const pages = buffer.database.pragma('page_count', { simple: true }) as number;
    buffer.database.pragma(`max_page_count = ${pages + 1}`);
    const big = Array.from({ length: 400 }, (_, i) => unsequenced(1000 + i, 'dev-1', { raw: { padding: 'x'.repeat(400) } }));
    await expect(buffer.commit({ punches: big })).rejects.toMatchObject({ code: 'GW_ERR_BUFFER_UNAVAILABLE' });
    expect(logOf(buffer).head().size).toBe(20);
    buffer.database.pragma('max_page_count = 1073741823');
    await buffer.commit({ punches: [unsequenced(5000), unsequenced(5001)] });
    expect(logOf(buffer).head().size).toBe(22);
    expectProofsAgree(logOf(buffer), referenceOf(buffer));
    buffer.close();
  });
});

describe('a buffer from before the punch log', () => {
  function writePreLog(punches: number, thin?: { upTo: number }): void {
    const old = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'inline', migrations: MIGRATIONS_WITHOUT_LOG, now: () => Date.now() + 86_400_000 });
    void old.commit({ punches: Array.from({ length: punches }, (_, i) => unsequenced(i)) });
    old.close();
    if (thin) {
      const db = openDatabase(file, { migrate: false });
      db.prepare("INSERT INTO buffer_meta (key, value) VALUES ('head_seq', ?)").run(punches);
      db.prepare('DELETE FROM punches WHERE seq <= ?').run(thin.upTo);
      db.close();
    }
  }

  it('with every punch from seq 1 still in it: upgraded, it logs them all and goes on', async () => {
    writePreLog(37);
    const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'thread' });
    expect(buffer.logProblem).toBeUndefined();
    expect(logOf(buffer).head().size).toBe(37);
    await buffer.commit({ punches: [unsequenced(100)] });
    expect(logOf(buffer).head().size).toBe(38);
    expectProofsAgree(logOf(buffer), referenceOf(buffer));
    buffer.close();
  });

  it('thinned by retention: upgraded, it keeps no log (and says why), and still commits', async () => {
    writePreLog(10, { upTo: 4 });
    const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'thread' });
    expect(buffer.log).toBeUndefined();
    expect(buffer.logProblem).toMatch(/retention had removed punches/);
    await expect(buffer.commit({ punches: [unsequenced(100)] })).resolves.toMatchObject({ seqs: [11] });
    buffer.close();
  });

  it('a log behind its punches (a storage fault) is reported, not signed from, and commits go on', async () => {
    const first = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'inline' });
    await first.commit({ punches: [unsequenced(1), unsequenced(2)] });
    first.database.prepare('UPDATE punch_log SET size = 1').run();
    first.close();
    const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'inline' });
    expect(buffer.log).toBeUndefined();
    expect(buffer.logProblem).toMatch(/1 leaves but the buffer 2 punches/);
    await expect(buffer.commit({ punches: [unsequenced(3)] })).resolves.toMatchObject({ seqs: [3] });
    buffer.close();
  });
});

describe('a buffer from before leaf blocks (schema 4: a log_nodes row per leaf)', () => {
  it('upgraded, its leaves move into blocks of 16 and every proof still holds; the log goes on', async () => {
    const old = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'inline', migrations: MIGRATIONS_WITHOUT_LOG });
    void old.commit({ punches: Array.from({ length: 45 }, (_, i) => unsequenced(i)) });
    old.close();
    // schema 4 starts the log of those 45 punches the way a gateway of that version did
    openDatabase(file, { migrations: MIGRATIONS.filter((m) => m.version <= 4) }).close();
    const v4 = openDatabase(file, { migrate: false });
    expect(v4.prepare('SELECT count(*) FROM log_nodes WHERE level = 0').pluck().get()).toBe(45);
    v4.close();

    const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'thread' });
    expect(buffer.logProblem).toBeUndefined();
    const db = buffer.database;
    expect(db.prepare('SELECT count(*) FROM log_nodes WHERE level = 0').pluck().get()).toBe(0);
    expect(db.prepare('SELECT block, length(hashes) AS bytes FROM log_leaves ORDER BY block').all()).toEqual([
      { block: 0, bytes: 16 * 32 },
      { block: 1, bytes: 16 * 32 },
      { block: 2, bytes: 13 * 32 },
    ]);
    const reference = referenceOf(buffer);
    expectProofsAgree(logOf(buffer), reference);
    // the partial block grows in place, then a new one starts
    await buffer.commit({ punches: Array.from({ length: 5 }, (_, i) => unsequenced(100 + i)) });
    expect(db.prepare('SELECT block, length(hashes) AS bytes FROM log_leaves WHERE block >= 2 ORDER BY block').all()).toEqual([
      { block: 2, bytes: 16 * 32 },
      { block: 3, bytes: 2 * 32 },
    ]);
    expectProofsAgree(logOf(buffer), referenceOf(buffer, reference));
    buffer.close();
  });
});

describe('a buffer replaced by an older copy of itself', () => {
  it('is found by what was signed from it, and goes on under a new epoch with the same tree', async () => {
    const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'inline' });
    await buffer.commit({ punches: Array.from({ length: 10 }, (_, i) => unsequenced(i)) });
    buffer.close();
    copyFileSync(file, join(tmp.dir, 'copy.db'));
    const live = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'inline' });
    await live.commit({ punches: Array.from({ length: 5 }, (_, i) => unsequenced(100 + i)) });
    const headFile = signedHeadFile(tmp.dir);
    const head = logOf(live).head();
    const epoch = logOf(live).epoch;
    writeSignedHead(headFile, { origin: `absensi-gateway/T/gw/${epoch}`, epoch, size: head.size, root: head.root.toString('base64') });
    expect(restoredFrom(logOf(live), readSignedHead(headFile))).toBeUndefined();
    live.close();

    const restored = new SqlitePunchBuffer({ file: join(tmp.dir, 'copy.db'), sinks: ['mqtt'], writer: 'inline' });
    const log = restored.log as NonNullable<SqlitePunchBuffer['log']>;
    expect(log.epoch).toBe(epoch);
    expect(restoredFrom(log, readSignedHead(headFile))).toMatch(/10 leaves, but 15 were signed/);
    const before = log.head();
    log.startNewEpoch();
    expect(log.epoch).not.toBe(epoch);
    expect(log.head().root.equals(before.root)).toBe(true);
    expect(restoredFrom(log, readSignedHead(headFile))).toBeUndefined();
    restored.close();
    const reopened = new SqlitePunchBuffer({ file: join(tmp.dir, 'copy.db'), sinks: ['mqtt'], writer: 'inline' });
    expect(logOf(reopened).epoch).toBe(log.epoch);
    reopened.close();
  });

  it('another root at the signed size is a replacement too; a malformed record is no record', async () => {
    const buffer = new SqlitePunchBuffer({ file, sinks: ['mqtt'], writer: 'inline' });
    await buffer.commit({ punches: [unsequenced(1), unsequenced(2)] });
    const log = logOf(buffer);
    const headFile = signedHeadFile(tmp.dir);
    writeSignedHead(headFile, { origin: 'o', epoch: log.epoch, size: 2, root: Buffer.alloc(32, 7).toString('base64') });
    expect(restoredFrom(log, readSignedHead(headFile))).toMatch(/another root at size 2/);
    writeSignedHead(headFile, { origin: 'o', epoch: 'ffffffffffffffff', size: 9, root: Buffer.alloc(32).toString('base64') });
    expect(restoredFrom(log, readSignedHead(headFile))).toBeUndefined();
    expect(readSignedHead(join(tmp.dir, 'absent.json'))).toBeUndefined();
    buffer.close();
  });
});
