// The one write transaction of the buffer: punches (seq assigned here), quarantine rows and
// checkpoint values of several commit batches, all or nothing. Runs in the writer thread.
// Invariants:
// - seq = head + 1 for each newly inserted punch, in batch order; a duplicate id takes no seq.
// - With a log (`LogAppender`), each inserted punch's leaf is appended in the same transaction.
// - Bodies arrive serialized with the seq the main thread expects them to get (`firstSeq` on:
//   the head after what it already handed over, no duplicates) and their leaf hashes over those
//   very bytes, so that serializing and hashing happen beside this thread. A punch whose seq turns
//   out otherwise (a duplicate before it, another connection wrote) is re-serialized and re-hashed
//   here: the stored body is always the JSON of its own seq, and its leaf the hash of that body.
// - The punches of a write travel packed (`PackedPunches`: one string and the end of each field),
//   so the thread boundary copies a few objects, not six strings and an object per punch.
// - Punches are inserted up to MAX_ROWS_PER_INSERT per statement with seqs next, next + 1, …: when
//   the statement inserted fewer rows than it held (a duplicate id among them), the rows it did
//   insert are deleted again and that chunk is inserted one row at a time, so the seqs, the
//   duplicates and the leaves are exactly those of one statement per row.
import type { Statement } from 'better-sqlite3';
import type { SqliteDatabase } from './database.js';
import type { LogAppender } from './logStore.js';
import type { Statements } from './statements.js';
import { HASH_BYTES, leafHashInto } from '../log/merkle.js';

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

/** id, deviceId, pin, utc, receivedAt, body: each punch's fields in `PackedPunches`, in this order */
export const PUNCH_FIELDS = 6;

/**
 * The punches of a write: field f of punch i is `text.slice(ends[6i + f - 1] ?? 0, ends[6i + f])`;
 * its body holds its expected seq at `seqAt[i]`, and `leaves` the 32-byte leaf hash of each body.
 */
export interface PackedPunches {
  text: string;
  ends: Uint32Array<ArrayBuffer>;
  seqAt: Uint32Array<ArrayBuffer>;
  leaves: Uint8Array<ArrayBuffer>;
}

export interface PreparedBatch {
  /** how many of the write's punches (the next ones, in order) are this batch's */
  punches: number;
  /** the seq its first punch was serialized with; the next ones follow on */
  firstSeq: number;
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

/** Packs the punches of one commit, serialized with seqs from `firstSeq` and hashed (main thread). */
export class PunchPacker {
  /**
   * The fields so far, concatenated as they come: V8 keeps that as a rope, flattened once when
   * the write is posted, where joining an array of them cost a copy more (and joinPacked another).
   */
  private text = '';
  private readonly ends: Uint32Array<ArrayBuffer>;
  private readonly seqAt: Uint32Array<ArrayBuffer>;
  private readonly leaves: Uint8Array<ArrayBuffer>;
  /** `leaves` as a Buffer, to write digests into */
  private readonly leafBytes: Buffer;
  private field = 0;
  private count = 0;

  constructor(
    capacity: number,
    private readonly firstSeq: number,
  ) {
    this.ends = new Uint32Array(capacity * PUNCH_FIELDS);
    this.seqAt = new Uint32Array(capacity);
    this.leaves = new Uint8Array(capacity * HASH_BYTES);
    this.leafBytes = Buffer.from(this.leaves.buffer);
  }

  add(p: PreparedPunch): void {
    // one flat string for the leaf's input and (sliced off its prefix, no copy) the body
    const leafInput = `\u0000${p.open}${this.firstSeq + this.count}${p.close}`;
    leafHashInto(leafInput, this.leafBytes, this.count * HASH_BYTES);
    this.seqAt[this.count] = p.open.length;
    this.count += 1;
    this.append(p.id);
    this.append(p.deviceId);
    this.append(p.pin);
    this.append(p.utc);
    this.append(p.receivedAt);
    this.append(leafInput.slice(1));
  }

  private append(value: string): void {
    this.text += value;
    this.ends[this.field] = this.text.length;
    this.field += 1;
  }

  packed(): PackedPunches {
    if (this.count !== this.seqAt.length) throw new RangeError(`packed ${this.count} punches of ${this.seqAt.length}`);
    return { text: this.text, ends: this.ends, seqAt: this.seqAt, leaves: this.leaves };
  }
}

/** The punches of several commits, in order, as one write's. */
export function joinPacked(parts: readonly PackedPunches[]): PackedPunches {
  if (parts.length === 1) return parts[0] as PackedPunches;
  const count = parts.reduce((n, p) => n + p.seqAt.length, 0);
  const ends = new Uint32Array(count * PUNCH_FIELDS);
  const seqAt = new Uint32Array(count);
  const leaves = new Uint8Array(count * HASH_BYTES);
  let text = '';
  let punch = 0;
  for (const part of parts) {
    const offset = text.length;
    for (let i = 0; i < part.ends.length; i++) ends[punch * PUNCH_FIELDS + i] = (part.ends[i] as number) + offset;
    seqAt.set(part.seqAt, punch);
    leaves.set(part.leaves, punch * HASH_BYTES);
    punch += part.seqAt.length;
    text += part.text;
  }
  return { text, ends, seqAt, leaves };
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
        next = insertChunk(sql, reader, write.punches, { first: first + at, count: Math.min(MAX_ROWS_PER_INSERT, batch.punches - at), indexInBatch: at, next, expected: batch.firstSeq + at }, result, log);
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

// reused by every chunk: the parameters of one multi-row INSERT and the bodies as stored
const args: unknown[] = [];
const bodies: string[] = [];

/** A body serialized with seq `expected` (at `seqAt`) as the JSON of seq `seq`. */
function withSeq(body: string, seqAt: number, expected: number, seq: number): string {
  return seq === expected ? body : `${body.slice(0, seqAt)}${seq}${body.slice(seqAt + String(expected).length)}`;
}

/**
 * Inserts `count` punches from `first` with seqs from `next`; returns the seq after the last one
 * inserted. One statement for the chunk; one a row when that statement met a duplicate. The
 * packed leaves are used as they are when the chunk got the seqs it was serialized with.
 */
function insertChunk(sql: Statements, reader: FieldReader, packed: PackedPunches, chunk: { first: number; count: number; indexInBatch: number; next: number; expected: number }, result: BatchResult, log: LogAppender | undefined): number {
  const { count, next, first, expected } = chunk;
  const asSerialized = expected === next;
  args.length = 0;
  bodies.length = 0;
  reader.at(first);
  for (let j = 0; j < count; j++) {
    const id = reader.next();
    const deviceId = reader.next();
    const pin = reader.next();
    const utc = reader.next();
    const receivedAt = reader.next();
    const body = reader.next();
    bodies.push(body);
    args.push(next + j, id, deviceId, pin, utc, receivedAt, asSerialized ? body : withSeq(body, packed.seqAt[first + j] as number, expected + j, next + j));
  }
  const changes = insertRows(sql, count).run(args).changes;
  if (changes === count) {
    for (let j = 0; j < count; j++) {
      if (asSerialized) log?.appendLeaf(packed.leaves.subarray((first + j) * HASH_BYTES, (first + j + 1) * HASH_BYTES));
      else log?.append(`\u0000${args[j * 7 + 6] as string}`);
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
    const body = withSeq(bodies[j] as string, packed.seqAt[first + j] as number, expected + j, seq);
    const row = args.slice(j * 7 + 1, j * 7 + 6);
    if (sql.insertPunch.run(seq, ...row, body).changes > 0) {
      if (seq === expected + j) log?.appendLeaf(packed.leaves.subarray((first + j) * HASH_BYTES, (first + j + 1) * HASH_BYTES));
      else log?.append(`\u0000${body}`);
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
