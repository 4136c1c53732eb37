// The SQLite implementation of PunchBuffer (invariants in punchBuffer.ts). Specific to it:
// - Group commit: the `commit` calls made in the same event-loop turn go into one IMMEDIATE
//   transaction, run on the next `setImmediate` — except that a writer thread with nothing to do
//   gets the first of them at once (there is no fsync for it to share), and the turn's others go
//   together into the next. A lone punch waits for nothing; a burst of thousands shares an fsync.
// - `seq` is assigned explicitly as head+1 inside the write transaction, where head is the larger
//   of max(seq) and the head saved before each retention run, so a seq never comes back and
//   another process writing the same file (CLI `pull`) cannot interleave. Seqs have no gaps: a
//   duplicate does not consume one. (SQLite's AUTOINCREMENT would: an ignored insert bumps it.)
// - Seqs above the lowest sink cursor are never deleted, so `head - cursor` is the exact backlog.
// - Cursor moves are kept in memory and persisted at most every `cursorFlushMs` (and on close):
//   losing one to a crash only means re-sending, which at-least-once allows.
import { EventEmitter } from 'node:events';
import { serializePunch, type SerializedPunch } from '../punch/normalize.js';
import type { Punch } from '../punch/punch.js';
import { GatewayError } from '../util/errors.js';
import { openDatabase, WAL_CHECKPOINT_PAGES, type OpenOptions, type SqliteDatabase } from './database.js';
import type { BufferStats, CommitBatch, CommitResult, OutgoingPunch, PunchBuffer } from './punchBuffer.js';
import { backlogStats, fileBytes, listDeadLetters, queueStats, type DeadLetterRow } from './queries.js';
import { SinkWindow, type Advance } from './sinkWindow.js';
import { keepsLog, LogAppender, SqlitePunchLog } from './logStore.js';
import { createStatements, type Statements } from './statements.js';
import { joinPacked, PunchPacker, writeBatches, type PackedPunches, type PreparedBatch, type PreparedWrite } from './writeBatches.js';
import { InlineWriter, WriterThread, type BufferWriter } from './writerThread.js';

interface OutgoingRow {
  seq: number;
  id: string;
  device_id: string;
  received_at: string;
  body: string;
}

function outgoingOf(row: OutgoingRow): OutgoingPunch {
  return { seq: row.seq, id: row.id, deviceId: row.device_id, receivedAt: row.received_at, json: row.body };
}

/** one transaction committing in the writer, one waiting: the next batch serializes meanwhile */
const MAX_WRITES_IN_FLIGHT = 2;
const MAX_ROWS_PER_WRITE = 2000;

/** A commit's batch for the writer, its punches added to `packer` from seq `firstSeq` on. */
function prepareBatch(batch: CommitBatch, packer: PunchPacker, firstSeq: number): PreparedBatch {
  const serialized = batch.punches.map((p, i) => batch.serialized?.[i] ?? serializePunch(p));
  const quarantined = (batch.quarantined ?? []).map((q) => ({ id: q.id, deviceId: q.deviceId, reason: q.reason, body: JSON.stringify(q.body) }));
  const checkpoint = batch.checkpoint && {
    deviceId: batch.checkpoint.deviceId,
    entries: Object.entries(batch.checkpoint.values).map(([key, value]): [string, string] => [key, JSON.stringify(value ?? null)]),
  };
  batch.punches.forEach((p, i) => {
    const json = serialized[i] as SerializedPunch;
    packer.add({ id: p.id, deviceId: p.device.id, pin: p.pin, utc: p.utc, receivedAt: p.receivedAt, open: json.open, close: json.close });
  });
  return checkpoint ? { punches: batch.punches.length, firstSeq, quarantined, checkpoint } : { punches: batch.punches.length, firstSeq, quarantined };
}

export interface SqlitePunchBufferOptions extends OpenOptions {
  file: string;
  /** configured sink names; each gets a cursor */
  sinks: string[];
  cursorFlushMs?: number;
  now?: () => number;
  /**
   * 'thread' (default): commits run in a worker thread, so serialization and fsync overlap with
   * the event loop. 'inline': on this thread (short-lived tools, tests).
   */
  writer?: 'thread' | 'inline';
}

/**
 * A commit waiting for the writer, already serialized and packed: its punch objects and their JSON
 * die young instead of being copied by every young-generation collection while it waits.
 */
interface QueuedCommit {
  prepared: PreparedBatch;
  packed: PackedPunches;
  checkpoint: CommitBatch['checkpoint'];
  resolve(result: CommitResult): void;
  reject(error: Error): void;
}

export class SqlitePunchBuffer extends EventEmitter implements PunchBuffer {
  readonly file: string;
  private readonly db: SqliteDatabase;
  private readonly sql: Statements;
  private writer: BufferWriter;
  private readonly newWriter: () => BufferWriter;
  private readonly windows = new Map<string, SinkWindow>();
  private readonly unpersisted = new Map<string, Advance[]>();
  private readonly checkpoints = new Map<string, Map<string, unknown>>();
  private readonly now: () => number;
  private readonly cursorFlushMs: number;
  private queue: QueuedCommit[] = [];
  /** the seq the next commit's first punch is serialized with (writeBatches: the writer checks it) */
  private expectedSeq = 1;
  /** punches committed and not answered yet (queued or in the writer) */
  private unanswered = 0;
  private flushScheduled = false;
  private cursorTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** the buffer's punch log; undefined when this file keeps none (`logProblem` says why) */
  readonly log: SqlitePunchLog | undefined;
  readonly logProblem: string | undefined;

  constructor(options: SqlitePunchBufferOptions) {
    super();
    this.file = options.file;
    this.now = options.now ?? Date.now;
    this.cursorFlushMs = options.cursorFlushMs ?? 200;
    // beside a writer thread this connection commits only cursor moves and dead letters: the thread checkpoints
    this.db = openDatabase(options.file, { ...options, checkpointPages: options.writer === 'inline' ? WAL_CHECKPOINT_PAGES : 4 * WAL_CHECKPOINT_PAGES });
    this.sql = createStatements(this.db);
    const log = SqlitePunchLog.open(this.db);
    this.logProblem = this.checkLog(log);
    this.log = this.logProblem ? undefined : log;
    const inlineLog = options.writer === 'inline' ? LogAppender.open(this.db) : undefined;
    this.newWriter = () =>
      options.writer === 'inline'
        ? new InlineWriter((write, nowIso) => writeBatches(this.db, this.sql, write, nowIso, inlineLog))
        : new WriterThread({ file: options.file, synchronous: options.synchronous ?? 'full', maxPageCount: options.maxPageCount, busyTimeoutMs: options.busyTimeoutMs });
    this.writer = this.newWriter();
    this.expectedSeq = this.headSeq() + 1;
    for (const sink of options.sinks) this.addSink(sink);
  }

  private checkLog(log: SqlitePunchLog | undefined): string | undefined {
    if (!log) {
      return keepsLog(this.db)
        ? 'retention had removed punches before this buffer was upgraded to keep a punch log; a new buffer file starts one'
        : 'this buffer was opened without the punch log schema';
    }
    const size = log.size();
    const head = this.headSeq();
    return size === head ? undefined : `the punch log has ${size} leaves but the buffer ${head} punches: it stays behind; a new buffer file starts a new log`;
  }

  get sinks(): string[] {
    return [...this.windows.keys()];
  }

  private addSink(sink: string): void {
    this.sql.insertCursor.run(sink, new Date(this.now()).toISOString());
    const row = this.sql.getCursor.get(sink) as { acked_seq: number };
    this.windows.set(sink, new SinkWindow(row.acked_seq));
  }

  private window(sink: string): SinkWindow {
    const window = this.windows.get(sink);
    if (!window) throw new Error(`unknown sink "${sink}"`);
    return window;
  }

  seqOf(id: string): number | undefined {
    if (this.closed) throw new GatewayError('GW_ERR_BUFFER_UNAVAILABLE', 'the buffer is closed');
    return (this.sql.seqOfId.get(id) as { seq: number } | undefined)?.seq;
  }

  headSeq(): number {
    return (this.sql.headSeq.get() as { head: number }).head;
  }

  commit(batch: CommitBatch): Promise<CommitResult> {
    if (this.closed) return Promise.reject(new GatewayError('GW_ERR_BUFFER_UNAVAILABLE', 'the buffer is closed'));
    let prepared: PreparedBatch;
    let packed: PackedPunches;
    try {
      const packer = new PunchPacker(batch.punches.length, this.expectedSeq);
      prepared = prepareBatch(batch, packer, this.expectedSeq);
      packed = packer.packed();
    } catch (error) {
      return Promise.reject(new GatewayError('GW_ERR_PUNCH_INVALID', `cannot serialize punch: ${(error as Error).message}`, { cause: error }));
    }
    this.expectedSeq += prepared.punches;
    this.unanswered += prepared.punches;
    return new Promise((resolve, reject) => {
      this.queue.push({ prepared, packed, checkpoint: batch.checkpoint, resolve, reject });
      // an idle writer thread starts on the first commit at once; the rest of the turn's go together next
      if (this.writer instanceof WriterThread && this.writer.inFlight === 0 && this.queue.length === 1 && !this.flushScheduled && !this.writer.broken) this.flushCommits();
      else this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.queue.length === 0 || this.writer.inFlight >= MAX_WRITES_IN_FLIGHT) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushCommits());
  }

  /** Hands what is queued to the writer thread as one transaction. */
  private flushCommits(): void {
    this.flushScheduled = false;
    const taken = this.takeForOneWrite();
    if (taken.length === 0) return this.scheduleFlush();
    const write: PreparedWrite = { punches: joinPacked(taken.map((q) => q.packed)), batches: taken.map((q) => q.prepared) };
    // what the answer needs, not the packed punches (posted, they are the writer's)
    const queued = taken.map(({ checkpoint, resolve, reject }) => ({ checkpoint, resolve, reject }));
    // a writer thread that died (its in-flight commits were rejected, so callers retry) is replaced
    if (this.writer.broken) this.writer = this.newWriter();
    const punches = taken.reduce((n, q) => n + q.prepared.punches, 0);
    void this.writer.write(write, new Date(this.now()).toISOString()).then(
      (results) => {
        this.expectAfter(punches, results.reduce((last, r) => (r.seqs.length > 0 ? (r.seqs[r.seqs.length - 1] as number) : last), 0));
        // Cache checkpoints only after COMMIT, so a rolled-back one is never served.
        for (const q of queued) if (q.checkpoint) this.cacheCheckpoint(q.checkpoint.deviceId, q.checkpoint.values);
        queued.forEach((q, i) => q.resolve(results[i] as CommitResult));
        // also after a commit of only duplicates: it proves the buffer can write again (readiness)
        this.emit('committed');
        this.scheduleFlush();
      },
      (error: unknown) => {
        this.expectAfter(punches, 0);
        const failure = new GatewayError('GW_ERR_BUFFER_UNAVAILABLE', `buffer commit failed: ${(error as Error).message}`, { cause: error });
        for (const q of queued) q.reject(failure);
        this.emit('commitError', failure);
        this.scheduleFlush();
      },
    );
    this.scheduleFlush();
  }

  /**
   * A write of `punches` was answered (writes are answered in order), its last seq `lastSeq` (0:
   * none inserted, or it failed): the seq the next commit is serialized with is the head after it
   * plus every punch still queued or in flight, as if none of them were a duplicate. Only a guess:
   * the writer re-serializes a punch that got another seq.
   */
  private expectAfter(punches: number, lastSeq: number): void {
    this.unanswered -= punches;
    let next = lastSeq + 1;
    if (lastSeq === 0) {
      try {
        next = this.closed ? this.expectedSeq : this.headSeq() + 1;
      } catch {
        return; // an unreadable file: the guess stays; the writer has the truth
      }
    }
    this.expectedSeq = next + this.unanswered;
  }

  /**
   * The oldest queued commits, up to MAX_ROWS_PER_WRITE punches (at least one commit). Smaller
   * writes keep the writer busy while this thread serializes the next ones, instead of both
   * taking turns on one big transaction.
   */
  private takeForOneWrite(): QueuedCommit[] {
    let rows = 0;
    let count = 0;
    while (count < this.queue.length && (count === 0 || rows + (this.queue[count] as QueuedCommit).prepared.punches <= MAX_ROWS_PER_WRITE)) {
      rows += (this.queue[count] as QueuedCommit).prepared.punches;
      count += 1;
    }
    return this.queue.splice(0, count);
  }

  /** Resolves once every commit handed to the writer has been answered. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.writer.inFlight > 0) {
      this.scheduleFlush();
      await new Promise((resolve) => setImmediate(resolve));
      await this.writer.drain();
    }
  }

  private writeCheckpoint(deviceId: string, values: Record<string, unknown>): void {
    const at = new Date(this.now()).toISOString();
    for (const [key, value] of Object.entries(values)) this.sql.upsertCheckpoint.run(deviceId, key, JSON.stringify(value ?? null), at);
  }

  private cacheCheckpoint(deviceId: string, values: Record<string, unknown>): void {
    const cache = this.deviceCheckpoints(deviceId);
    for (const [key, value] of Object.entries(values)) cache.set(key, value ?? null);
  }

  private deviceCheckpoints(deviceId: string): Map<string, unknown> {
    let cache = this.checkpoints.get(deviceId);
    if (!cache) {
      cache = new Map();
      for (const row of this.sql.getCheckpoints.all(deviceId) as { key: string; value: string }[]) cache.set(row.key, JSON.parse(row.value));
      this.checkpoints.set(deviceId, cache);
    }
    return cache;
  }

  getCheckpoint(deviceId: string, key: string): unknown {
    return this.deviceCheckpoints(deviceId).get(key);
  }

  setCheckpoint(deviceId: string, values: Record<string, unknown>): void {
    this.assertOpen();
    this.db.transaction(() => this.writeCheckpoint(deviceId, values)).immediate();
    this.cacheCheckpoint(deviceId, values);
  }

  /** The next punches for a sink, as committed JSON (replays first, then the stream in seq order); marks them handed out. */
  pendingOutgoing(sink: string, limit: number): OutgoingPunch[] {
    this.assertOpen();
    const window = this.window(sink);
    const out: OutgoingPunch[] = [];
    const replays = this.sql.replays.all(sink, limit + window.replaysOut.size) as OutgoingRow[];
    for (const row of replays) {
      if (out.length >= limit) break;
      if (window.replaysOut.has(row.id)) continue;
      window.handOutReplay(row.seq, row.id);
      out.push(outgoingOf(row));
    }
    if (out.length >= limit) return out;
    const rows = this.sql.streamAfter.all(window.readSeq, limit - out.length) as OutgoingRow[];
    for (const row of rows) {
      window.handOut(row.seq, row.id);
      out.push(outgoingOf(row));
    }
    return out;
  }

  /** `pendingOutgoing`, parsed: for tools and tests that look at the punches. */
  pending(sink: string, limit: number): Punch[] {
    return this.pendingOutgoing(sink, limit).map((o) => JSON.parse(o.json) as Punch);
  }

  ack(sink: string, ids: string[]): void {
    this.assertOpen();
    const window = this.window(sink);
    const replayed = ids.filter((id) => window.replaysOut.has(id));
    if (replayed.length > 0) {
      this.db.transaction(() => {
        for (const id of replayed) {
          this.sql.deleteReplay.run(sink, window.replaysOut.get(id));
          window.replaysOut.delete(id);
        }
      }).immediate();
    }
    this.recordAdvance(sink, window.markDone(ids));
  }

  deadLetter(sink: string, rejected: { id: string; reason: string }[]): void {
    this.assertOpen();
    if (rejected.length === 0) return;
    const window = this.window(sink);
    const at = new Date(this.now()).toISOString();
    this.db.transaction(() => {
      for (const { id, reason } of rejected) {
        const seq = window.replaysOut.get(id) ?? (this.sql.seqOfId.get(id) as { seq: number } | undefined)?.seq;
        if (seq === undefined) continue;
        this.sql.upsertDeadLetter.run(sink, seq, id, reason.slice(0, 2000), at);
        this.sql.deleteReplay.run(sink, seq);
        window.replaysOut.delete(id);
      }
    }).immediate();
    this.recordAdvance(sink, window.markDone(rejected.map((r) => r.id)));
  }

  rewind(sink: string): void {
    this.window(sink).rewind();
  }

  private recordAdvance(sink: string, advance: Advance | undefined): void {
    if (!advance) return;
    const list = this.unpersisted.get(sink) ?? [];
    list.push(advance);
    this.unpersisted.set(sink, list);
    if (!this.cursorTimer) this.cursorTimer = setTimeout(() => this.persistCursors(), this.cursorFlushMs);
  }

  /** Writes cursor moves kept in memory. Called by a timer, and on close. */
  persistCursors(): void {
    if (this.cursorTimer) clearTimeout(this.cursorTimer);
    this.cursorTimer = undefined;
    if (this.unpersisted.size === 0 || this.closed) return;
    const at = new Date(this.now()).toISOString();
    const moves = [...this.unpersisted.entries()];
    this.unpersisted.clear();
    this.db.transaction(() => {
      for (const [sink, advances] of moves) {
        const last = advances[advances.length - 1] as Advance;
        this.sql.updateCursor.run(last.toSeq, at, sink);
        const from = (advances[0] as Advance).fromSeq;
        this.sql.insertAckRange.run(sink, from, last.toSeq, at);
      }
    }).immediate();
  }

  /**
   * Each sink's acked seq (every punch up to it finished) as this process knows it, ahead of the
   * cursors persisted within cursorFlushMs: no query.
   */
  ackedSeqs(): Map<string, number> {
    return new Map([...this.windows.entries()].map(([sink, window]) => [sink, window.ackedSeq]));
  }

  stats(): BufferStats {
    this.assertOpen();
    return queueStats(this.db, { sinks: [...this.windows.keys()], cursors: this.ackedSeqs(), file: this.file });
  }

  /** `stats()` without the punch row count: index look-ups only, for gauges and status publishes. */
  backlog(): Omit<BufferStats, 'punches'> {
    this.assertOpen();
    return backlogStats(this.db, { sinks: [...this.windows.keys()], cursors: this.ackedSeqs(), file: this.file });
  }

  fileBytes(): number {
    return fileBytes(this.file);
  }

  deadLetters(sink?: string, limit = 100): DeadLetterRow[] {
    return listDeadLetters(this.db, { sink, limit });
  }

  /**
   * Deletes punches every configured sink is done with and that were received before the
   * retention cutoff; dead-lettered or replay-queued punches stay. Returns how many went.
   */
  prune(retentionMs: number, chunk = 5000): number {
    this.assertOpen();
    this.persistCursors();
    const cutoff = new Date(this.now() - retentionMs).toISOString();
    const cursors = [...this.windows.values()].map((w) => w.ackedSeq);
    const upTo = cursors.length > 0 ? Math.min(...cursors) : this.headSeq();
    this.sql.saveHeadSeq.run(this.headSeq());
    let removed = 0;
    for (;;) {
      const changes = this.db.transaction(() => this.sql.pruneChunk.run(upTo, cutoff, chunk).changes).immediate();
      removed += changes;
      if (changes < chunk) break;
    }
    this.db.transaction(() => {
      this.sql.pruneAckRanges.run();
      this.sql.prunePurged.run();
      this.sql.pruneQuarantine.run(cutoff);
    }).immediate();
    return removed;
  }

  private assertOpen(): void {
    if (this.closed) throw new GatewayError('GW_ERR_BUFFER_UNAVAILABLE', 'the buffer is closed');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Commits what is queued, persists cursors, closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    while (this.queue.length > 0) this.flushCommits();
    this.writer.closeSync();
    this.persistCursors();
    this.closed = true;
    this.db.close();
  }

  /** The underlying handle, for read-only queries of the API and CLI. */
  get database(): SqliteDatabase {
    return this.db;
  }
}
