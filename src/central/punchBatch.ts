// Group commit for the centre's punches: the messages of all of a process's connections that are
// waiting to be stored go into one transaction, so a process commits many punches per disk flush
// instead of one (mqtt.js hands each connection's messages over one at a time, so without this a
// process commits at most `mqtt.connections` punches per flush, one per transaction).
// Invariants:
// - `store` resolves only after the transaction holding the punch committed; each message is
//   still acknowledged by its own connection after that (receiver.ts), never before.
// - One flush at a time; what arrives meanwhile waits for the next, which takes up to `maxBatch`.
// - A redelivery of a punch already waiting in the same batch is a duplicate (false), like one
//   already stored: `INSERT … ON CONFLICT (id) DO NOTHING` keeps the first copy.
// - A failed commit is retried as a whole by `retry` (the database away); a batch given up on
//   (stopping) rejects every punch in it: none of them is acknowledged.
import type { Punch } from '../punch/punch.js';
import { storePunches } from './ingest.js';
import type { CentralStore } from './store.js';

interface Waiting {
  punch: Punch;
  resolve(stored: boolean): void;
  reject(error: unknown): void;
}

export interface PunchBatcherOptions {
  store: CentralStore;
  /** runs a commit until it succeeds, or throws when giving up */
  retry<T>(work: () => Promise<T>): Promise<T>;
  maxBatch: number;
}

export class PunchBatcher {
  private waiting: Waiting[] = [];
  private flushing = false;

  constructor(private readonly o: PunchBatcherOptions) {}

  /** Commits `punch` with whatever else is waiting; true when it was new, false for a duplicate. */
  store(punch: Punch): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.waiting.push({ punch, resolve, reject });
      if (this.flushing) return;
      this.flushing = true;
      // the other connections' messages of this turn of the event loop join the first batch
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.o.maxBatch);
      try {
        const inserted = await this.o.retry(() => this.o.store.transaction((tx) => storePunches(tx, batch.map((w) => w.punch))));
        const seen = new Set<string>();
        for (const w of batch) {
          const first = !seen.has(w.punch.id);
          seen.add(w.punch.id);
          w.resolve(first && inserted.has(w.punch.id));
        }
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    this.flushing = false;
  }
}
