// The one write transaction of the buffer: punches (seq assigned here), quarantine rows and
// checkpoint values of several commit batches, all or nothing. Runs in the writer thread.
// Invariants:
// - seq = head + 1 for each newly inserted punch, in batch order; a duplicate id takes no seq.
// - Bodies arrive serialized without `seq` (`{…}` minus its closing brace): the seq is appended
//   here, so the main thread can serialize while this thread writes.
import type { SqliteDatabase } from './database.js';
import type { Statements } from './statements.js';

export interface PreparedPunch {
  id: string;
  deviceId: string;
  pin: string;
  utc: string;
  receivedAt: string;
  /** JSON of the punch without `seq` and without its final `}` */
  bodyOpen: string;
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

export function writeBatches(db: SqliteDatabase, sql: Statements, batches: PreparedBatch[], nowIso: string): BatchResult[] {
  return db
    .transaction(() => {
      let next = (sql.headSeq.get() as { head: number }).head + 1;
      return batches.map((batch) => {
        const result: BatchResult = { inserted: 0, duplicates: 0, quarantined: 0, seqs: [], duplicateAt: [] };
        for (const [index, p] of batch.punches.entries()) {
          const body = `${p.bodyOpen},"seq":${next}}`;
          if (sql.insertPunch.run(next, p.id, p.deviceId, p.pin, p.utc, p.receivedAt, body).changes > 0) {
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
    })
    .immediate();
}
