// The one write transaction of the buffer: punches (seq assigned here), quarantine rows and
// checkpoint values of several commit batches, all or nothing. Runs in the writer thread.
// Invariants:
// - seq = head + 1 for each newly inserted punch, in batch order; a duplicate id takes no seq.
// - With a log (`LogAppender`), each inserted punch's leaf is appended in the same transaction.
// - Bodies arrive serialized around `seq` in their canonical (JCS) form, `open` and `close`: the
//   seq is put between here, so the main thread can serialize while this thread writes, and the
//   stored body is the very bytes the log's leaf hashes.
// - The punches of a write travel packed (`PackedPunches`: one string and the end of each field),
//   so the thread boundary copies two objects, not seven strings and an object per punch.
// - Punches are inserted up to MAX_ROWS_PER_INSERT per statement with seqs next, next + 1, …: when
//   the statement inserted fewer rows than it held (a duplicate id among them), the rows it did
//   insert are deleted again and that chunk is inserted one row at a time, so the seqs, the
//   duplicates and the leaves are exactly those of one statement per row.
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';
import type { LogAppender } from './logStore.js';
import type { Statements } from './statements.js';

/** One punch as the buffer hands it to the writer. */
export interface PreparedPunch {
  id: string;
  deviceId: string;
  pin: string;
  utc: string;
  receivedAt: string;
  /** the punch's canonical JSON up to its seq's value (`…,"seq":`) */
  open: string;
  /** and after it */
  close: string;
}

/** id, deviceId, pin, utc, receivedAt, open, close: each punch's fields in `PackedPunches`, in this order */
export const PUNCH_FIELDS = 7;

/** The punches of a write: field f of punch i is `text.slice(ends[7i + f - 1] ?? 0, ends[7i + f])`. */
export interface PackedPunches {
  text: string;
  ends: Uint32Array<ArrayBuffer>;
}

export interface PreparedBatch {
  /** how many of the write's punches (the next ones, in order) are this batch's */
  punches: number;
  quarantined: { id: string; deviceId: string; reason: string; body: string }[];
  checkpoint?: { deviceId: string; entries: [key: string, json: string][] };
}

/** What one write transaction commits: the batches of several commits, their punches packed. */
export interface PreparedWrite {
  punches: PackedPunches;
  batches: PreparedBatch[];
}

export interface BatchResult {
  inserted: number;
  duplicates: number;
  quarantined: number;
  seqs: number[];
  /** positions in `punches` of the duplicates, so merged single commits can tell each caller */
  duplicateAt: number[];
}

/** Packs punches for a write (main thread). */
export class PunchPacker {
  private readonly parts: string[] = [];
  private readonly ends: number[] = [];
  private length = 0;

  get count(): number {
    return this.ends.length / PUNCH_FIELDS;
  }

  add(p: PreparedPunch): void {
    this.field(p.id);
    this.field(p.deviceId);
    this.field(p.pin);
    this.field(p.utc);
    this.field(p.receivedAt);
    this.field(p.open);
    this.field(p.close);
  }

  private field(value: string): void {
    this.parts.push(value);
    this.length += value.length;
    this.ends.push(this.length);
  }

  packed(): PackedPunches {
    return { text: this.parts.join(''), ends: Uint32Array.from(this.ends) };
  }
}

/** The punches of several commits, in order, as one write's. */
export function joinPacked(parts: readonly PackedPunches[]): PackedPunches {
  if (parts.length === 1) return parts[0] as PackedPunches;
  const ends = new Uint32Array(parts.reduce((n, p) => n + p.ends.length, 0));
  let at = 0;
  let offset = 0;
  for (const part of parts) {
    for (const end of part.ends) ends[at++] = end + offset;
    offset += part.text.length;
  }
  return { text: parts.map((p) => p.text).join(''), ends };
}

/** The packed punches as objects: for tests and tools that look at a write. */
export function unpackPunches(packed: PackedPunches): PreparedPunch[] {
  const out: PreparedPunch[] = [];
  const reader = new FieldReader(packed);
  for (let i = 0; i < packed.ends.length / PUNCH_FIELDS; i++) {
    reader.at(i);
    out.push({ id: reader.next(), deviceId: reader.next(), pin: reader.next(), utc: reader.next(), receivedAt: reader.next(), open: reader.next(), close: reader.next() });
  }
  return out;
}

class FieldReader {
  private field = 0;
  constructor(private readonly packed: PackedPunches) {}

  at(punch: number): void {
    this.field = punch * PUNCH_FIELDS;
  }

  next(): string {
    const { ends, text } = this.packed;
    const start = this.field === 0 ? 0 : (ends[this.field - 1] as number);
    const end = ends[this.field] as number;
    this.field += 1;
    return text.slice(start, end);
  }
}

/** Rows per multi-row INSERT: 350 parameters; beyond some 50 rows the per-statement cost saved is noise. */
export const MAX_ROWS_PER_INSERT = 50;

export function writeBatches(db: SqliteDatabase, sql: Statements, write: PreparedWrite, nowIso: string, log?: LogAppender): BatchResult[] {
  const reader = new FieldReader(write.punches);
  const run = db.transaction(() => {
    let next = (sql.headSeq.get() as { head: number }).head + 1;
    log?.begin(next);
    let first = 0;
    const results = write.batches.map((batch) => {
      const result: BatchResult = { inserted: 0, duplicates: 0, quarantined: 0, seqs: [], duplicateAt: [] };
      for (let at = 0; at < batch.punches; at += MAX_ROWS_PER_INSERT) {
        next = insertChunk(sql, reader, { first: first + at, count: Math.min(MAX_ROWS_PER_INSERT, batch.punches - at), indexInBatch: at, next }, result, log);
      }
      first += batch.punches;
      for (const q of batch.quarantined) result.quarantined += sql.insertQuarantine.run(q.id, q.deviceId, q.reason, q.body, nowIso).changes;
      if (batch.checkpoint) {
        for (const [key, json] of batch.checkpoint.entries) sql.upsertCheckpoint.run(batch.checkpoint.deviceId, key, json, nowIso);
      }
      return result;
    });
    log?.end();
    return results;
  });
  try {
    return run.immediate();
  } catch (error) {
    log?.rolledBack();
    throw error;
  }
}

// reused by every chunk: the parameters of one multi-row INSERT and the leaves' inputs
const args: unknown[] = [];
const leaves: string[] = [];
const opens: string[] = [];
const closes: string[] = [];

/**
 * Inserts `count` punches from `first` with seqs from `next`; returns the seq after the last one
 * inserted. One statement for the chunk; one a row when that statement met a duplicate.
 */
function insertChunk(sql: Statements, reader: FieldReader, chunk: { first: number; count: number; indexInBatch: number; next: number }, result: BatchResult, log: LogAppender | undefined): number {
  const { count, next } = chunk;
  args.length = 0;
  leaves.length = 0;
  opens.length = 0;
  closes.length = 0;
  reader.at(chunk.first);
  for (let j = 0; j < count; j++) {
    const id = reader.next();
    const deviceId = reader.next();
    const pin = reader.next();
    const utc = reader.next();
    const receivedAt = reader.next();
    const open = reader.next();
    const close = reader.next();
    // one flat string for the leaf's input and (sliced off its prefix, no copy) the stored body
    const leafInput = `\u0000${open}${next + j}${close}`;
    args.push(next + j, id, deviceId, pin, utc, receivedAt, leafInput.slice(1));
    leaves.push(leafInput);
    opens.push(open);
    closes.push(close);
  }
  const changes = insertRows(sql, count).run(args).changes;
  if (changes === count) {
    for (let j = 0; j < count; j++) {
      log?.append(leaves[j] as string);
      result.seqs.push(next + j);
    }
    result.inserted += count;
    return next + count;
  }
  if (changes === 0) {
    // nothing went in: every id was already there (none can repeat one of the chunk)
    for (let j = 0; j < count; j++) result.duplicateAt.push(chunk.indexInBatch + j);
    result.duplicates += count;
    return next;
  }
  sql.deletePunchesFrom.run(next);
  let seq = next;
  for (let j = 0; j < count; j++) {
    const leafInput = `\u0000${opens[j] as string}${seq}${closes[j] as string}`;
    const row = args.slice(j * PUNCH_FIELDS + 1, (j + 1) * PUNCH_FIELDS - 1);
    if (sql.insertPunch.run(seq, ...row, leafInput.slice(1)).changes > 0) {
      log?.append(leafInput);
      result.seqs.push(seq);
      result.inserted += 1;
      seq += 1;
    } else {
      result.duplicates += 1;
      result.duplicateAt.push(chunk.indexInBatch + j);
    }
  }
  return seq;
}

function insertRows(sql: Statements, count: number): Statement {
  return count === 1 ? sql.insertPunch : sql.insertPunches(count);
}
