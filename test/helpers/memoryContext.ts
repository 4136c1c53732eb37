// The one DriverContext of the driver tests: the real context (src/devices/context.ts
// createDriverContext: normalizePunch, quarantine, status bounds, counters) on a real SQLite
// buffer held in memory, with accessors a test reads instead of reaching into SQL.
// Invariants:
// - Every punch a driver emits goes through the very normalize and quarantine code the daemon
//   runs: a punch the gateway would refuse is in `quarantine()`, never in `punches()`.
// - What the accessors return is what the buffer committed (read back from its tables), except
//   `emitted`, `updates` and `rejections`, which record what the driver handed over, as it did.
// - Several contexts may share one MemoryStore (one buffer): a fresh context on the same store is
//   a gateway restart (new device state, same punches and checkpoints). Checkpoints are per device id.
//   Contexts given the same DeviceStates (a supervisor's) keep the device's state: a device already
//   registered there is not registered again.
// - `watermark` is the real reporter (src/devices/watermark.ts) on the same buffer; `declared` and
//   `watermarks` record what the driver declared and what the reporter answered, in call order,
//   and `currentWatermark()` reads what the buffer keeps.
// - A context's `failCommits` makes the buffer's commit reject for that context as a full disk does
//   (GW_ERR_BUFFER_UNAVAILABLE, SQLITE_FULL): the real context logs and rethrows it, as in the
//   daemon. Another context on the same store (the restarted gateway) commits normally.
import type { Logger } from 'pino';
import { SqlitePunchBuffer } from '../../src/buffer/sqlitePunchBuffer.js';
import { punchesSchema } from '../../src/config/schema.js';
import { createDriverContext } from '../../src/devices/context.js';
import { DeviceStates, type DeviceSnapshot } from '../../src/devices/deviceState.js';
import type { BaseDeviceConfig, CheckpointStore, DeviceStatusUpdate, DriverContext, EmitResult, StatusReporter, WatermarkDeclaration, WatermarkReporter } from '../../src/devices/driver.js';
import { storedFreeze, storedWatermark, type WatermarkFrozen } from '../../src/devices/watermark.js';
import type { Punch, RawPunch } from '../../src/punch/punch.js';
import type { Watermark } from '../../src/punch/watermark.js';
import type { PushRegistrar } from '../../src/devices/push.js';
import { GatewayError } from '../../src/util/errors.js';
import { silentLogger } from '../../src/util/logger.js';
import { createMetrics, type Metrics } from '../../src/util/metrics.js';

/** A committed punch in the words a driver emitted it (localTime: the device wall time), with the whole punch/v1. */
export interface CommittedPunch {
  id: string;
  pin: string;
  localTime: string;
  state: RawPunch['state'];
  verify: RawPunch['verify'];
  workCode: number | null;
  raw: Record<string, unknown>;
  punch: Punch;
}

export interface QuarantineRow {
  id: string;
  deviceId: string;
  reason: string;
  body: Record<string, unknown>;
}

export type StoreChange = 'commit' | 'checkpoint';

/** One buffer (in memory unless a buffer is given) and read-back accessors over it. */
export class MemoryStore {
  readonly buffer: SqlitePunchBuffer;
  private readonly cache: Punch[] = [];
  private readonly listeners = new Set<(change: StoreChange) => void>();

  constructor(options: { sinks?: string[]; buffer?: SqlitePunchBuffer } = {}) {
    this.buffer = options.buffer ?? new SqlitePunchBuffer({ file: ':memory:', sinks: options.sinks ?? ['mqtt'], writer: 'inline' });
    const setCheckpoint = this.buffer.setCheckpoint.bind(this.buffer);
    this.buffer.setCheckpoint = (deviceId, values) => {
      setCheckpoint(deviceId, values);
      this.notify('checkpoint');
    };
    // right after COMMIT, before any caller of commit() resumes
    this.buffer.on('committed', () => this.notify('commit'));
  }

  /** Calls `listener` after every committed transaction and every checkpoint set; returns the unsubscribe. */
  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Committed punch/v1 objects in seq order (of one device, when given). */
  punches(deviceId?: string): Punch[] {
    const rows = this.buffer.database.prepare('SELECT body FROM punches WHERE seq > ? ORDER BY seq').all(this.cache.at(-1)?.seq ?? 0) as { body: string }[];
    for (const row of rows) this.cache.push(JSON.parse(row.body) as Punch);
    return deviceId === undefined ? [...this.cache] : this.cache.filter((p) => p.device.id === deviceId);
  }

  /** Committed punches as the driver emitted them, in seq order. */
  committed(deviceId?: string): CommittedPunch[] {
    return this.punches(deviceId).map((punch) => ({
      id: punch.id, pin: punch.pin, localTime: punch.time.slice(0, 19), state: punch.state, verify: punch.verify, workCode: punch.workCode, raw: punch.raw, punch,
    }));
  }

  /** Punches committed, of all devices. */
  get size(): number {
    return this.punches().length;
  }

  quarantine(deviceId?: string): QuarantineRow[] {
    const rows = this.buffer.database.prepare('SELECT punch_id, device_id, reason, body FROM quarantine ORDER BY rowid').all() as { punch_id: string; device_id: string; reason: string; body: string }[];
    return rows
      .filter((r) => deviceId === undefined || r.device_id === deviceId)
      .map((r) => ({ id: r.punch_id, deviceId: r.device_id, reason: r.reason, body: JSON.parse(r.body) as Record<string, unknown> }));
  }

  /** The checkpoint values of a device as committed (read from the table, not the buffer's cache). */
  checkpoints(deviceId: string): Record<string, unknown> {
    const rows = this.buffer.database.prepare('SELECT key, value FROM checkpoints WHERE device_id = ? ORDER BY key').all(deviceId) as { key: string; value: string }[];
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]));
  }

  setCheckpoint(deviceId: string, key: string, value: unknown): void {
    this.buffer.setCheckpoint(deviceId, { [key]: value });
  }

  close(): void {
    this.buffer.close();
  }

  private notify(change: StoreChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

/** A device entry as a driver's config schema gives it (extra keys kept), or the least a context needs. */
export type DeviceEntry = Omit<BaseDeviceConfig, 'enabled'> & { enabled?: boolean };

export interface MemoryContextOptions {
  /** the device entry (normalize reads id, driver, timezone, serial, host/path); default lobby-1 */
  device?: DeviceEntry;
  /** shared with other contexts to play a restart; default a fresh one */
  store?: MemoryStore;
  /** shared by contexts of several devices; default a fresh one */
  states?: DeviceStates;
  gateway?: { id: string; site: string; timezone: string };
  /** plausibility window; default the config's defaults (punches.minYear, punches.maxFuture) */
  punches?: { minYear: number; maxFuture: number };
  push?: PushRegistrar;
  log?: Logger;
  metrics?: Metrics;
  /** called on ctx.fail, after it is recorded in `failures` */
  onFail?: (error: Error) => void;
  /** the driver's abort signal (a supervisor's); default the context's own `abort` */
  signal?: AbortSignal;
}

const DEFAULT_DEVICE: DeviceEntry = { id: 'lobby-1', driver: 'memory-test' };

export class MemoryContext implements DriverContext {
  readonly deviceId: string;
  readonly log: Logger;
  /** aborts `signal` unless the signal was given */
  readonly abort = new AbortController();
  readonly signal: AbortSignal;
  readonly store: MemoryStore;
  readonly states: DeviceStates;
  readonly metrics: Metrics;
  readonly push?: PushRegistrar;
  /** every status update the driver reported, as it reported it (before the status bounds) */
  readonly updates: DeviceStatusUpdate[] = [];
  /** every status.rejected call of the driver (quarantined punches are in `quarantine()`) */
  readonly rejections: { reason: string; detail?: string }[] = [];
  readonly failures: Error[] = [];
  /** every punch handed to emit/emitMany, duplicates and refused ones included, in call order */
  readonly emitted: RawPunch[] = [];
  /** punches handed over before the driver had reported a serial */
  emitsBeforeSerial = 0;
  /** emit/emitMany calls that resolved (committed) */
  commits = 0;
  /** punches whose emit/emitMany has settled, committed or not */
  settled = 0;
  inserted = 0;
  duplicates = 0;
  /** the sum of EmitResult.quarantined (emitMany: new quarantine rows only; see `counted`) */
  quarantined = 0;
  seenCount = 0;
  /** called after each emit/emitMany resolved, with `commits` */
  onCommit?: (commits: number) => void;
  readonly status: StatusReporter;
  readonly checkpoint: CheckpointStore;
  /** while set, this context's commits reject like a full disk */
  failCommits = false;
  /** every watermark the driver declared, in call order */
  readonly declared: WatermarkDeclaration[] = [];
  /** what each declaration left in force (undefined: none yet) */
  readonly watermarks: (Watermark | undefined)[] = [];
  /** every freeze the driver asked for */
  readonly freezes: string[] = [];
  readonly watermark: WatermarkReporter;
  private readonly gateway: { id: string; site: string; timezone: string };
  private readonly inner: DriverContext;
  private serialReported = false;

  constructor(options: MemoryContextOptions = {}) {
    const device = { ...(options.device ?? DEFAULT_DEVICE) };
    this.deviceId = device.id;
    this.signal = options.signal ?? this.abort.signal;
    this.store = options.store ?? new MemoryStore();
    this.states = options.states ?? new DeviceStates();
    this.metrics = options.metrics ?? createMetrics();
    this.log = options.log ?? silentLogger();
    if (options.push) this.push = options.push;
    const entry = { ...device, enabled: device.enabled ?? true } as BaseDeviceConfig;
    // a supervisor registers its devices itself (and keeps their state across restarts)
    if (!this.states.get(entry.id)) this.states.register(entry.id, entry.driver, true, entry.serial);
    this.gateway = options.gateway ?? { id: 'gw-test', site: 'TEST', timezone: 'Asia/Jakarta' };
    this.inner = createDriverContext({
      device: entry,
      gateway: this.gateway,
      punches: options.punches ?? punchesSchema.parse({}),
      buffer: this.failableBuffer(),
      states: this.states,
      log: this.log,
      metrics: this.metrics,
      signal: this.signal,
      onFail: (error) => {
        this.failures.push(error);
        options.onFail?.(error);
      },
      ...(options.push ? { push: options.push } : {}),
    });
    const inner = this.inner;
    this.status = {
      update: (change) => {
        this.updates.push(change);
        if (change.serial !== undefined) this.serialReported = true;
        inner.status.update(change);
      },
      seen: () => {
        this.seenCount += 1;
        inner.status.seen();
      },
      rejected: (reason, detail, opts) => {
        this.rejections.push(detail === undefined ? { reason } : { reason, detail });
        inner.status.rejected(reason, detail, opts);
      },
    };
    this.checkpoint = inner.checkpoint;
    this.watermark = {
      advance: async (declaration) => {
        this.declared.push(declaration);
        const inForce = await inner.watermark.advance(declaration);
        this.watermarks.push(inForce);
        return inForce;
      },
      freeze: (reason) => {
        this.freezes.push(reason);
        inner.watermark.freeze(reason);
      },
    };
  }

  /** The watermark the buffer keeps for this device now (undefined: none). */
  currentWatermark(): Watermark | undefined {
    return storedWatermark(this.store.buffer, { gateway: this.gateway.id, site: this.gateway.site }, this.deviceId);
  }

  /** The freeze the buffer keeps for this device (undefined: none). */
  currentFreeze(): WatermarkFrozen | undefined {
    return storedFreeze(this.store.buffer, this.deviceId);
  }

  emit(raw: RawPunch): Promise<EmitResult> {
    this.handedOver([raw]);
    return this.inner.emit(raw).finally(() => (this.settled += 1)).then((result) => this.committedWith(result));
  }

  emitMany(raws: RawPunch[], checkpoint?: Record<string, unknown>): Promise<EmitResult> {
    this.handedOver(raws);
    return this.inner.emitMany(raws, checkpoint).finally(() => (this.settled += raws.length)).then((result) => this.committedWith(result));
  }

  fail(error: Error): void {
    this.inner.fail(error);
  }

  /** The device as the status page sees it (after the status bounds), rejections and quarantine counted. */
  get snapshot(): DeviceSnapshot {
    const snapshot = this.states.get(this.deviceId);
    if (!snapshot) throw new Error(`device ${this.deviceId} is not registered`);
    return snapshot;
  }

  /** Rejected inputs by reason, as counted for the status page: the driver's, quarantine labels, identity-invalid. */
  rejectedBy(reason: string): number {
    return this.snapshot.rejected[reason] ?? 0;
  }

  punches(): Punch[] {
    return this.store.punches(this.deviceId);
  }

  committed(): CommittedPunch[] {
    return this.store.committed(this.deviceId);
  }

  quarantine(): QuarantineRow[] {
    return this.store.quarantine(this.deviceId);
  }

  /** This device's checkpoint values as committed. */
  checkpoints(): Record<string, unknown> {
    return this.store.checkpoints(this.deviceId);
  }

  /**
   * This device's counters by reason: `rejected` is gateway_rejected_total (driver rejections,
   * identity-invalid), `quarantined` gateway_punches_quarantined_total (one per punch refused, a
   * repeat included, whereas EmitResult.quarantined of emitMany counts new quarantine rows only).
   */
  async counted(): Promise<{ rejected: Record<string, number>; quarantined: Record<string, number> }> {
    const byReason = async (metric: Metrics['rejected']): Promise<Record<string, number>> => {
      const counts: Record<string, number> = {};
      for (const value of (await metric.get()).values) {
        if (value.labels.device !== this.deviceId) continue;
        const reason = String(value.labels.reason);
        counts[reason] = (counts[reason] ?? 0) + value.value;
      }
      return counts;
    };
    return { rejected: await byReason(this.metrics.rejected), quarantined: await byReason(this.metrics.punchesQuarantined) };
  }

  /** The store's buffer, whose commit fails while `failCommits` is set. */
  private failableBuffer(): SqlitePunchBuffer {
    const buffer = this.store.buffer;
    const commit: SqlitePunchBuffer['commit'] = (batch) =>
      this.failCommits ? Promise.reject(new GatewayError('GW_ERR_BUFFER_UNAVAILABLE', 'buffer commit failed: SQLITE_FULL: database or disk is full')) : buffer.commit(batch);
    return new Proxy(buffer, {
      get: (target, key) => {
        if (key === 'commit') return commit;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  private handedOver(raws: RawPunch[]): void {
    if (!this.serialReported) this.emitsBeforeSerial += raws.length;
    this.emitted.push(...raws);
  }

  private committedWith(result: EmitResult): EmitResult {
    this.commits += 1;
    this.inserted += result.inserted;
    this.duplicates += result.duplicates;
    this.quarantined += result.quarantined;
    this.onCommit?.(this.commits);
    return result;
  }
}

/** `pin|localTime|state|verify` of every committed punch, sorted. */
export function committedKeys(from: MemoryStore | MemoryContext): string[] {
  return from.committed().map((p) => `${p.pin}|${p.localTime}|${p.state}|${p.verify}`).sort();
}

/** `pin|localTime` of every committed punch, sorted. */
export function committedPins(from: MemoryStore | MemoryContext): string[] {
  return from.committed().map((p) => `${p.pin}|${p.localTime}`).sort();
}
