// Rate-limited warnings: a flood of one kind of bad input (20,000 requests with unknown serials,
// a terminal sending garbage every second) must not flood the journal, where journald would then
// drop the lines that matter.
// Invariants:
// - Per key, at most `burst` lines are written per `intervalMs`; the rest are counted, never lost:
//   when the interval ends, one summary line says how many were held back (`suppressed`), with the
//   fields of the last one.
// - Keys are bounded (`maxKeys`): beyond that, new keys share one overflow key, so hostile input
//   choosing a new key per request cannot grow memory.
// - The summary timer is unref'd and only runs while something is held back.
import type { Logger } from 'pino';

export interface LogLimiterOptions {
  intervalMs?: number;
  burst?: number;
  maxKeys?: number;
}

type Level = 'warn' | 'info' | 'error';

interface Window {
  startedAtMs: number;
  written: number;
  suppressed: number;
  last?: { level: Level; fields: Record<string, unknown>; message: string };
}

const OVERFLOW_KEY = '(many)';

export class LogLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly intervalMs: number;
  private readonly burst: number;
  private readonly maxKeys: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    options: LogLimiterOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 60_000;
    this.burst = options.burst ?? 5;
    this.maxKeys = options.maxKeys ?? 256;
  }

  warn(key: string, fields: Record<string, unknown>, message: string): void {
    this.write('warn', key, fields, message);
  }

  error(key: string, fields: Record<string, unknown>, message: string): void {
    this.write('error', key, fields, message);
  }

  /** Writes the pending summaries now (at stop, so nothing held back goes unsaid). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [key, window] of this.windows) this.summarize(key, window);
    this.windows.clear();
  }

  private write(level: Level, rawKey: string, fields: Record<string, unknown>, message: string): void {
    const now = Date.now();
    const key = this.windows.has(rawKey) || this.windows.size < this.maxKeys ? rawKey : OVERFLOW_KEY;
    let window = this.windows.get(key);
    if (window && now - window.startedAtMs >= this.intervalMs) {
      this.summarize(key, window);
      window = undefined;
    }
    if (!window) {
      window = { startedAtMs: now, written: 0, suppressed: 0 };
      this.windows.set(key, window);
    }
    if (window.written < this.burst) {
      window.written += 1;
      this.log[level](fields, message);
      return;
    }
    window.suppressed += 1;
    window.last = { level, fields, message };
    this.scheduleSummary();
  }

  private summarize(key: string, window: Window): void {
    if (window.suppressed === 0 || !window.last) return;
    const { level, fields, message } = window.last;
    this.log[level]({ ...fields, suppressed: window.suppressed, suppressedForMs: this.intervalMs, ...(key === OVERFLOW_KEY ? { manyKinds: true } : {}) }, `${message} (${window.suppressed} more like this not logged)`);
    window.suppressed = 0;
    delete window.last;
  }

  private scheduleSummary(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const now = Date.now();
      for (const [key, window] of this.windows) {
        if (now - window.startedAtMs < this.intervalMs) continue;
        this.summarize(key, window);
        this.windows.delete(key);
      }
      if ([...this.windows.values()].some((w) => w.suppressed > 0)) this.scheduleSummary();
    }, this.intervalMs);
    this.timer.unref();
  }
}
