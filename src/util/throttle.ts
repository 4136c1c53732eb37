// Per-key trailing throttle: `request(key)` runs the action for that key at once if it has not run
// in the last `intervalMs`, else once at the end of the interval (never dropped, never more often).

export class Throttle {
  private readonly lastRunAt = new Map<string, number>();
  private readonly scheduled = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly intervalMs: number,
    private readonly action: (key: string) => void,
  ) {}

  request(key: string): void {
    if (this.scheduled.has(key)) return;
    const waitMs = (this.lastRunAt.get(key) ?? -Infinity) + this.intervalMs - Date.now();
    if (waitMs <= 0) {
      this.run(key);
      return;
    }
    const timer = setTimeout(() => {
      this.scheduled.delete(key);
      this.run(key);
    }, waitMs);
    timer.unref();
    this.scheduled.set(key, timer);
  }

  cancelAll(): void {
    for (const timer of this.scheduled.values()) clearTimeout(timer);
    this.scheduled.clear();
  }

  private run(key: string): void {
    this.lastRunAt.set(key, Date.now());
    this.action(key);
  }
}
