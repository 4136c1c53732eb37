// The loop of a driver that asks its terminal (or bridge) on a timer: poll, wait, poll again until
// stopped; after a failed poll wait the retry delay instead. zk-soap, fingerspot-easylink and
// hikvision-isapi run on it.
// Invariants:
// - One poll at a time; the first starts at once.
// - `stop()` aborts `signal` (so a request in flight ends), cuts a wait short and resolves once the
//   loop has ended: nothing runs after it. Aborting the signal given to `start` stops it too.
// - A poll's error goes to `onError`, never out of the loop; an error caused by stopping is not
//   reported.
export interface PollLoopOptions {
  poll(signal: AbortSignal): Promise<void>;
  intervalMs: number;
  /** the wait after the `attempt`-th failed poll in a row (0 for the first) */
  retryDelayMs(attempt: number): number;
  onError(error: unknown, attempt: number): void;
  /** once, after the last poll (the device goes offline) */
  onEnd?(): void;
}

export class PollLoop {
  private readonly halt = new AbortController();
  private running: Promise<void> | undefined;

  constructor(private readonly options: PollLoopOptions) {}

  /** aborted when the loop stops: pass it to every request a poll makes */
  get signal(): AbortSignal {
    return this.halt.signal;
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  start(parent: AbortSignal): void {
    if (this.running || parent.aborted || this.halt.signal.aborted) return;
    parent.addEventListener('abort', () => void this.stop(), { once: true });
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.halt.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const signal = this.halt.signal;
    let attempt = 0;
    while (!signal.aborted) {
      let waitMs = this.options.intervalMs;
      try {
        await this.options.poll(signal);
        attempt = 0;
      } catch (error) {
        if (signal.aborted) break;
        this.options.onError(error, attempt);
        waitMs = this.options.retryDelayMs(attempt++);
      }
      await abortableSleep(waitMs, signal);
    }
    this.options.onEnd?.();
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
