// The main-thread side of the buffer's writer thread (writerWorker.ts).
// Invariants:
// - Writes are answered in the order they were posted; each promise settles exactly once:
//   with the results after COMMIT, or with an error when the transaction failed or the thread died.
// - `closeSync` returns only after the writer finished everything posted before it and closed its
//   connection (or after `timeoutMs`), so a closed buffer never has a commit still running.
import { Worker } from 'node:worker_threads';
import type { PreparedWrite, BatchResult } from './writeBatches.js';
import type { WriterData, WriterRequest } from './writerWorker.js';

interface Pending {
  resolve(results: BatchResult[]): void;
  reject(error: Error): void;
}

type WriterReply = { id: number; results: BatchResult[] } | { id: number; error: { message: string; code?: string } };

/**
 * The writer's own V8 heap keeps nothing between batches, yet under a burst its young generation
 * grows toward the default 48 MB: committing 200,000 punches in 500-punch batches left the process
 * at 193–200 MB with 4 MB here, 206–212 MB without, in the same time. The old generation stays
 * unlimited: a cap there would turn one big batch into a dead thread.
 */
const WRITER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 4 };

/** Starts writerWorker: the compiled .js directly, or the .ts source through tsx when running from source. */
function spawn(data: WriterData): Worker {
  const source = import.meta.url.endsWith('.ts');
  const entry = new URL(`./writerWorker.${source ? 'ts' : 'js'}`, import.meta.url);
  if (!source) return new Worker(entry, { workerData: data, resourceLimits: WRITER_RESOURCE_LIMITS });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(boot, { eval: true, workerData: data, resourceLimits: WRITER_RESOURCE_LIMITS });
}

export class WriterThread implements BufferWriter {
  private readonly worker: Worker;
  private readonly done = new Int32Array(new SharedArrayBuffer(4));
  private readonly pending = new Map<number, Pending>();
  private posted = 0;
  private nextId = 1;
  private failure: Error | undefined;
  private idleWaiters: (() => void)[] = [];
  private closing = false;

  constructor(options: Omit<WriterData, 'done'>) {
    this.worker = spawn({ ...options, done: this.done });
    this.worker.on('message', (reply: WriterReply) => this.onReply(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`buffer writer thread exited (code ${code})`)));
    this.worker.unref();
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** the thread died (not closed on purpose): the buffer starts a new one */
  get broken(): boolean {
    return this.failure !== undefined && !this.closing;
  }

  write(write: PreparedWrite, nowIso: string): Promise<BatchResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // keep the process alive while a commit is on its way, not while the writer idles
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      // the packed punches' arrays move to the writer rather than being copied
      this.post({ type: 'write', id, write, nowIso }, [write.punches.ends.buffer, write.punches.seqAt.buffer, write.punches.leaves.buffer]);
    });
  }

  private post(request: WriterRequest, transfer: ArrayBuffer[] = []): void {
    this.posted += 1;
    this.worker.postMessage(request, transfer);
  }

  private onReply(reply: WriterReply): void {
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if ('results' in reply) waiting.resolve(reply.results);
    else waiting.reject(Object.assign(new Error(reply.error.message), { code: reply.error.code }));
    this.wakeIdleWaiters();
  }

  private wakeIdleWaiters(): void {
    if (this.pending.size > 0) return;
    this.worker.unref();
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    this.wakeIdleWaiters();
  }

  /** Waits (blocking) until the writer handled everything posted, then closes its connection. */
  closeSync(timeoutMs = 10_000): void {
    if (this.failure) return;
    this.closing = true;
    this.post({ type: 'close' });
    const deadline = Date.now() + timeoutMs;
    let seen = Atomics.load(this.done, 0);
    while (seen < this.posted && Date.now() < deadline) {
      Atomics.wait(this.done, 0, seen, Math.max(1, deadline - Date.now()));
      seen = Atomics.load(this.done, 0);
    }
    this.failure = new Error('buffer writer closed');
    // The writer ends by itself once it closed its connection; only a hung one is terminated.
    // A write still unanswered here did commit, but its caller is told it failed: it will retry and
    // the id makes the retry a duplicate (at-least-once, never lost).
    if (seen < this.posted) void this.worker.terminate();
  }

  /** Ends the thread as a crash would (fault-injection tests). */
  crashForTest(): Promise<number> {
    return this.worker.terminate();
  }

  /** Resolves when every posted write has been answered. */
  drain(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** What the buffer needs from a writer: the thread above, or the same transaction run inline. */
export interface BufferWriter {
  readonly inFlight: number;
  readonly broken: boolean;
  write(write: PreparedWrite, nowIso: string): Promise<BatchResult[]>;
  drain(): Promise<void>;
  closeSync(): void;
}

/**
 * Runs the commit transaction on the caller's connection, blocking the event loop for its fsync.
 * For tools that open a buffer briefly (CLI) and for tests, where starting a thread costs more than it saves.
 */
export class InlineWriter implements BufferWriter {
  readonly inFlight = 0;
  readonly broken = false;

  constructor(private readonly run: (write: PreparedWrite, nowIso: string) => BatchResult[]) {}

  write(write: PreparedWrite, nowIso: string): Promise<BatchResult[]> {
    try {
      return Promise.resolve(this.run(write, nowIso));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  closeSync(): void {}
}
