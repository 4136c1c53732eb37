// In-memory bookkeeping of what one sink has been handed and what it has finished.
// Invariants:
// - Stream punches are handed out in strictly increasing seq order; `ackedSeq` only moves forward,
//   and only over a prefix in which every punch is done (acked or dead-lettered).
// - Nothing here is durable: after a restart the window is empty and the persisted cursor decides
//   what is sent again (at-least-once).

interface WindowEntry {
  seq: number;
  done: boolean;
}

export interface Advance {
  fromSeq: number;
  toSeq: number;
}

export class SinkWindow {
  ackedSeq: number;
  /** highest stream seq handed out */
  readSeq: number;
  private readonly queue: WindowEntry[] = [];
  private head = 0;
  private readonly streamById = new Map<string, WindowEntry>();
  /** replayed dead letters handed out: id → seq */
  readonly replaysOut = new Map<string, number>();

  constructor(ackedSeq: number) {
    this.ackedSeq = ackedSeq;
    this.readSeq = ackedSeq;
  }

  get outstanding(): number {
    return this.streamById.size + this.replaysOut.size;
  }

  handOut(seq: number, id: string): void {
    const entry = { seq, done: false };
    this.queue.push(entry);
    this.streamById.set(id, entry);
    this.readSeq = seq;
  }

  handOutReplay(seq: number, id: string): void {
    this.replaysOut.set(id, seq);
  }

  /** Marks ids done; returns the cursor advance, if the done prefix grew. */
  markDone(ids: Iterable<string>): Advance | undefined {
    for (const id of ids) {
      const entry = this.streamById.get(id);
      if (entry) {
        entry.done = true;
        this.streamById.delete(id);
      }
    }
    const fromSeq = this.ackedSeq + 1;
    while (this.head < this.queue.length && (this.queue[this.head] as WindowEntry).done) {
      this.ackedSeq = (this.queue[this.head] as WindowEntry).seq;
      this.head += 1;
    }
    this.compact();
    return this.ackedSeq >= fromSeq ? { fromSeq, toSeq: this.ackedSeq } : undefined;
  }

  rewind(): void {
    this.queue.length = 0;
    this.head = 0;
    this.streamById.clear();
    this.replaysOut.clear();
    this.readSeq = this.ackedSeq;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }
}
