// Whether a retained message needs publishing again: only when what it says changed. A terminal
// that polls every few seconds (zk-push getrequest) reports itself online each time; its retained
// status stays as it is until a field other than the ever-moving ones (`lastSeen`) changes, or
// those alone have moved for `refreshMs` (so a subscriber's lastSeen is never older than that).
// Invariants:
// - The first value of a key always passes; `forget` (all keys: a reconnect) makes it pass again.
// - Pure apart from the clock it is given.

export class ChangeGate {
  private readonly last = new Map<string, { stable: string; atMs: number }>();

  constructor(
    private readonly volatileKeys: readonly string[],
    private readonly refreshMs: number,
  ) {}

  /** True when `value` should be published now for `key` (and then remembers it as published). */
  admit(key: string, value: Record<string, unknown>, nowMs: number = Date.now()): boolean {
    const stable = JSON.stringify(Object.fromEntries(Object.entries(value).filter(([k]) => !this.volatileKeys.includes(k))));
    const previous = this.last.get(key);
    if (previous && previous.stable === stable && nowMs - previous.atMs < this.refreshMs) return false;
    this.last.set(key, { stable, atMs: nowMs });
    return true;
  }

  /** Forget what was published for `key`, or for every key. */
  forget(key?: string): void {
    if (key === undefined) this.last.clear();
    else this.last.delete(key);
  }
}
