// The seam between a device protocol (drivers/<protocol>) and the gateway core.
// Invariants:
// - A driver never sees a publisher; all it can do with a punch is `emit` it.
// - `emit`/`emitMany` resolve only after the SQLite transaction holding the punches has committed;
//   they reject when the buffer cannot commit (disk full, closing). A push driver answers its
//   terminal, and a pull driver advances its checkpoint, only after they resolve.
// - A driver handles its own reconnects; `ctx.fail` is for errors it cannot recover from, after
//   which the supervisor stops it and starts a fresh instance with backoff.
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { RawPunch } from '../punch/punch.js';
import type { PushRegistrar } from '../push/types.js';

export interface DeviceIdentity {
  /** the device's serial number: the device part of every punch id */
  serial?: string;
  model?: string;
  firmware?: string;
  platform?: string;
}

export interface DeviceStatusUpdate extends DeviceIdentity {
  online?: boolean;
  /** device clock minus gateway clock, seconds, when last measured */
  clockSkewSec?: number | null;
  /** null clears the last error */
  lastError?: string | null;
  /** free-form facts for the status page and /api/devices (counts, capacities, variant) */
  details?: Record<string, unknown>;
}

export interface StatusReporter {
  update(change: DeviceStatusUpdate): void;
  /** the device answered something (heartbeat, reply, push request) */
  seen(): void;
  /** count a rejected input (bad packet, line, body) under a short machine-readable reason */
  rejected(reason: string, detail?: string): void;
}

/** Per-device durable key/value store for download positions, stamps and the like. */
export interface CheckpointStore {
  get<T = unknown>(key: string): T | undefined;
  /** Commits immediately. To move a checkpoint together with punches, use `emitMany`. */
  set(key: string, value: unknown): void;
}

export interface EmitResult {
  /** punches newly committed */
  inserted: number;
  /** punches already in the buffer (same id) */
  duplicates: number;
  /** punches refused into quarantine (impossible timestamps and the like) */
  quarantined: number;
}

export interface DriverContext {
  readonly deviceId: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly status: StatusReporter;
  readonly checkpoint: CheckpointStore;
  /** Commit one punch. Resolves after COMMIT. */
  emit(raw: RawPunch): Promise<EmitResult>;
  /** Commit punches and, in the same transaction, checkpoint values. Resolves after COMMIT. */
  emitMany(raws: RawPunch[], checkpoint?: Record<string, unknown>): Promise<EmitResult>;
  /** Give up: the supervisor restarts the driver with backoff. */
  fail(error: Error): void;
  /** The push listener, for drivers of terminals that call the gateway (zk-push); absent otherwise. */
  readonly push?: PushRegistrar;
}

export interface DeviceInfo extends DeviceIdentity {
  /** anything else the protocol tells: counts, capacities, clock, variant */
  [key: string]: unknown;
}

export interface Driver {
  /** Resolves once the driver runs; background work continues until `stop` or the abort signal. */
  start(): Promise<void>;
  /** Release sockets and timers; resolves when nothing of the driver is left running. */
  stop(): Promise<void>;
  probe?(): Promise<DeviceInfo>;
}

/** Fields every device entry has, whatever its driver. */
export interface BaseDeviceConfig {
  id: string;
  driver: string;
  /** IANA zone; defaults to gateway.timezone */
  timezone?: string;
  /** serial number to use where the device reports none */
  serial?: string;
  enabled: boolean;
}

export interface DriverFactory<C extends BaseDeviceConfig = BaseDeviceConfig> {
  /** the `driver:` value in config and the `device.protocol` in punch/v1 */
  readonly protocol: string;
  /** zod object for this driver's device entry, including the base fields */
  readonly configSchema: z.ZodType<C>;
  create(config: C, ctx: DriverContext): Driver;
  /**
   * Loads the implementation, for factories that keep it out of the registry (`lazyFactory`); the
   * supervisor awaits it before `create`. Absent or `loaded`: `create` works right away.
   */
  load?(): Promise<void>;
  readonly loaded?: boolean;
  /**
   * Problems the schema cannot see (a referenced file unreadable or malformed), for `check`:
   * `key` names the device entry's key, `message` what is wrong. The driver meets the same problem
   * at start; `check` reports it before a restart does.
   */
  checkFiles?(config: C): { key: string; message: string }[];
}

/**
 * A factory whose implementation module is imported only when the first device of its kind
 * starts, so a gateway carries the code of the terminal kinds it has, not of every kind it could
 * read. `create` is synchronous once `load` has resolved.
 */
export function lazyFactory<C extends BaseDeviceConfig, M>(spec: {
  protocol: string;
  configSchema: z.ZodType<C>;
  load: () => Promise<M>;
  make: (module: M, config: C, ctx: DriverContext) => Driver;
  checkFiles?: (config: C) => { key: string; message: string }[];
}): DriverFactory<C> {
  let module: M | undefined;
  let loading: Promise<void> | undefined;
  const factory: DriverFactory<C> = {
    protocol: spec.protocol,
    configSchema: spec.configSchema,
    get loaded() {
      return module !== undefined;
    },
    load() {
      loading ??= spec.load().then((m) => {
        module = m;
      });
      return loading;
    },
    create(config, ctx) {
      if (module === undefined) throw new Error(`the ${spec.protocol} driver is not loaded yet`);
      return spec.make(module, config, ctx);
    },
  };
  if (spec.checkFiles) factory.checkFiles = spec.checkFiles;
  return factory;
}
