// Entry of the buffer's writer thread: one better-sqlite3 connection that only runs commit
// transactions (punches with their log leaves), so serialization, hashing and fsync happen beside
// the event loop, not on it.
// Protocol: {type:'write', id, write, nowIso} → {id, results} | {id, error}; {type:'close'} →
// closes the connection. After each message the shared counter is incremented and notified, so
// the main thread can wait for the writer synchronously on close.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from './database.js';
import { LogAppender } from './logStore.js';
import { createStatements } from './statements.js';
import { writeBatches, type PreparedWrite } from './writeBatches.js';

export interface WriterData {
  file: string;
  synchronous: 'full' | 'normal';
  maxPageCount?: number;
  busyTimeoutMs?: number;
  done: Int32Array;
}

export type WriterRequest = { type: 'write'; id: number; write: PreparedWrite; nowIso: string } | { type: 'close' };

const data = workerData as WriterData;
const db = openDatabase(data.file, { synchronous: data.synchronous, maxPageCount: data.maxPageCount, busyTimeoutMs: data.busyTimeoutMs, migrate: false });
const sql = createStatements(db);
const log = LogAppender.open(db);
const port = parentPort;
if (!port) throw new Error('writerWorker must run as a worker thread');

function finished(): void {
  Atomics.add(data.done, 0, 1);
  Atomics.notify(data.done, 0);
}

port.on('message', (request: WriterRequest) => {
  if (request.type === 'close') {
    db.close();
    finished();
    port.close();
    return;
  }
  try {
    const results = writeBatches(db, sql, request.write, request.nowIso, log);
    port.postMessage({ id: request.id, results });
  } catch (error) {
    const failure = error as Error & { code?: string };
    port.postMessage({ id: request.id, error: { message: failure.message, code: failure.code } });
  }
  finished();
});
