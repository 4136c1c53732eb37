// The backlog over time, for the status page's 24-hour charts: every SAMPLE_INTERVAL_MS the
// pending count and the oldest unsent age of each sink, from the buffer's index look-ups
// (BufferView.backlog, the same figures as the scrape gauges).
// Invariants:
// - Bounded: samples older than the window are dropped and at most `capacity` are kept
//   (window / interval + 1: 1,441 at the defaults, a few hundred bytes each), whatever the clock does.
// - In memory only: a restart starts an empty history (the buffer itself stays the record of
//   what is pending; the chart is for the shape of the last hours, and Prometheus keeps longer).
// - Never throws into its timer: a closed buffer is simply not sampled. The timer never keeps the
//   process alive, and `stop()` ends it (the API app calls it on close).
// - `series(now)` ends with a reading taken now (not stored), so the chart reaches the present.
import type { BufferView } from './view.js';

export const SAMPLE_INTERVAL_MS = 60_000;
export const SAMPLE_WINDOW_MS = 24 * 3_600_000;

export interface SinkSample {
  sink: string;
  pending: number;
  /** seconds the oldest unsent punch has waited; 0 when none waits */
  oldestPendingAgeSec: number;
}

export interface BacklogSample {
  atMs: number;
  sinks: SinkSample[];
}

export interface BacklogSamplerOptions {
  intervalMs?: number;
  windowMs?: number;
}

/** The backlog of each sink now; undefined while the buffer is closed. */
export function readBacklog(buffer: Pick<BufferView, 'isClosed' | 'backlog'>, nowMs: number): SinkSample[] | undefined {
  if (buffer.isClosed()) return undefined;
  try {
    return buffer.backlog().sinks.map((s) => ({
      sink: s.sink,
      pending: s.pending,
      oldestPendingAgeSec: s.oldestPendingAt ? Math.max(0, Math.round((nowMs - Date.parse(s.oldestPendingAt)) / 1000)) : 0,
    }));
  } catch {
    return undefined; // closed between the check and the read
  }
}

export class BacklogSampler {
  readonly intervalMs: number;
  readonly windowMs: number;
  readonly capacity: number;
  private readonly samples: BacklogSample[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly read: (nowMs: number) => SinkSample[] | undefined, options: BacklogSamplerOptions = {}) {
    this.intervalMs = options.intervalMs ?? SAMPLE_INTERVAL_MS;
    this.windowMs = options.windowMs ?? SAMPLE_WINDOW_MS;
    this.capacity = Math.ceil(this.windowMs / this.intervalMs) + 1;
  }

  /** Samples now and then every intervalMs. */
  start(): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample (the timer's work; tests call it with their own clock). */
  sample(nowMs = Date.now()): void {
    const sinks = this.read(nowMs);
    if (sinks) this.samples.push({ atMs: nowMs, sinks });
    this.prune(nowMs);
  }

  /** The kept samples within the window before `nowMs`, then a reading now. */
  series(nowMs = Date.now()): BacklogSample[] {
    this.prune(nowMs);
    const kept = this.samples.filter((s) => s.atMs <= nowMs);
    const live = this.read(nowMs);
    return live ? [...kept, { atMs: nowMs, sinks: live }] : kept;
  }

  /** How many samples are kept now. */
  get size(): number {
    return this.samples.length;
  }

  private prune(nowMs: number): void {
    const from = nowMs - this.windowMs;
    let drop = 0;
    while (drop < this.samples.length && (this.samples[drop] as BacklogSample).atMs < from) drop += 1;
    drop = Math.max(drop, this.samples.length - this.capacity);
    if (drop > 0) this.samples.splice(0, drop);
  }
}

/** One series per sink of `pick` over the samples, for lineChartSvg. */
export function sinkSeries(samples: readonly BacklogSample[], pick: (s: SinkSample) => number): { name: string; points: [number, number][] }[] {
  const bySink = new Map<string, [number, number][]>();
  for (const sample of samples) {
    for (const sink of sample.sinks) {
      const points = bySink.get(sink.sink) ?? [];
      points.push([sample.atMs, pick(sink)]);
      bySink.set(sink.sink, points);
    }
  }
  return [...bySink].map(([name, points]) => ({ name, points }));
}
