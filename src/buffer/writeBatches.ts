// The one write transaction of the buffer: punches (seq assigned here), quarantine rows and
// checkpoint values of several commit batches, all or nothing. Runs in the writer thread.
// Invariants:
// - seq = head + 1 for each newly inserted punch, in batch order; a duplicate id takes no seq.
// - With a log (`LogAppender`), each inserted punch's leaf is appended in the same transaction.
// - Bodies arrive serialized around `seq` in their canonical (JCS) form, `open` and `close`: the
//   seq is put between here, so the main thread can serialize while this thread writes, and the
//   stored body is the very bytes the log's leaf hashes.
import type { SqliteDatabase } from './database.js';
import type { LogAppender } from './logStore.js';
import type { Statements } from './statements.js';

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

export interface PreparedBatch {
  punches: PreparedPunch[];
  quarantined: { id: string; deviceId: string; reason: string; body: string }[];
  checkpoint?: { deviceId: string; entries: [key: string, json: string][] };
}

export interface BatchResult {
  inserted: number;
  duplicates: number;
  quarantined: number;
  seqs: number[];
  /** positions in `punches` of the duplicates, so merged single commits can tell each caller */
  duplicateAt: number[];
}

export function writeBatches(db: SqliteDatabase, sql: Statements, batches: PreparedBatch[], nowIso: string, log?: LogAppender): BatchResult[] {
  const write = db.transaction(() => {
    let next = (sql.headSeq.get() as { head: number }).head + 1;
    log?.begin(next);
    const results = batches.map((batch) => {
      const result: BatchResult = { inserted: 0, duplicates: 0, quarantined: 0, seqs: [], duplicateAt: [] };
      for (const [index, p] of batch.punches.entries()) {
        // one flat string for the leaf's input and (sliced off its prefix, no copy) the stored body
        const leafInput = `\u0000${p.open}${next}${p.close}`;
        if (sql.insertPunch.run(next, p.id, p.deviceId, p.pin, p.utc, p.receivedAt, leafInput.slice(1)).changes > 0) {
          log?.append(leafInput);
          result.seqs.push(next);
          result.inserted += 1;
          next += 1;
        } else {
          result.duplicates += 1;
          result.duplicateAt.push(index);
        }
      }
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
    return write.immediate();
  } catch (error) {
    log?.rolledBack();
    throw error;
  }
}
