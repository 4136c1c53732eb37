// The seam between a running driver (drivers/<protocol>) and the gateway core: what a driver is
// and the context it gets; its push side, for terminals that call the gateway, is push.ts. What a
// family declares once (config schema, lazy create, backfill, probe, simulator, push) is
// definition.ts. src/devices owns the seam's types and the core's half of it: the context a driver
// runs with (context.ts, committing through the PunchBuffer interface), the supervisor, the device
// states.
// Invariants:
// - A driver never sees a publisher; all it can do with a punch is `emit` it.
// - `emit`/`emitMany` resolve only after the SQLite transaction holding the punches has committed;
//   they reject when the buffer cannot commit (disk full, closing). A push driver answers its
//   terminal, and a pull driver advances its checkpoint, only after they resolve.
// - A driver handles its own reconnects; `ctx.fail` is for errors it cannot recover from, after
//   which the supervisor stops it and starts a fresh instance with backoff.
// - A driver declares a completeness watermark (`ctx.watermark.advance`) only for what its protocol
//   proves, after the commits the proof rests on resolved; one that can prove nothing never calls
//   it. The core's side of it (seqThrough, persistence, never backwards) is watermark.ts.
import type { Logger } from 'pino';
import type { RawPunch } from '../punch/punch.js';
import type { Watermark, WatermarkBasis } from '../punch/watermark.js';
import type { ErrorCode, RejectionReason } from '../util/catalogue.js';
import type { KioskRegistrar } from './kiosk.js';
import type { PushRegistrar } from './push.js';

export interface DeviceIdentity {
  /** the device's serial number: the device part of every punch id */
  serial?: string;
  model?: string;
  firmware?: string;
  platform?: string;
}

/** What went wrong with a device: its catalogue code and the words for it. */
export interface DeviceError {
  code: ErrorCode;
  message: string;
}

export interface DeviceStatusUpdate extends DeviceIdentity {
  online?: boolean;
  /** device clock minus gateway clock, seconds, when last measured */
  clockSkewSec?: number | null;
  /** the error the device is in, with its catalogue code (shown as `CODE: message`); null clears it */
  lastError?: DeviceError | null;
  /** free-form facts for the status page and /api/devices (counts, capacities, variant) */
  details?: Record<string, unknown>;
}

export interface StatusReporter {
  update(change: DeviceStatusUpdate): void;
  /** the device answered something (heartbeat, reply, push request) */
  seen(): void;
  /**
   * count a rejected input (bad packet, line, body) under its reason in the catalogue
   * (src/util/catalogue.ts); logged (rate-limited) with the reason's code unless `options.logged`
   * says the caller writes its own line
   */
  rejected(reason: RejectionReason, detail?: string, options?: { logged?: boolean }): void;
}

/** Per-device durable key/value store for download positions, stamps and the like. */
export interface CheckpointStore {
  get<T = unknown>(key: string): T | undefined;
  /** Commits immediately. To move a checkpoint together with punches, use `emitMany`. */
  set(key: string, value: unknown): void;
}

/** What a driver proved about its terminal's record (DESIGN.md "Completeness watermark"). */
export interface WatermarkDeclaration {
  /**
   * device wall time `YYYY-MM-DDTHH:mm:ss`: every record the terminal had stamped at or before it
   * is committed (or, refused by the edge rules, quarantined) — the driver has awaited those commits
   */
  completeThroughLocal: string;
  basis: WatermarkBasis;
}

export interface WatermarkReporter {
  /**
   * Declares a proven watermark. The core gives it the zone's offset and the buffer's head seq,
   * keeps it in the buffer and publishes it. Resolves with the watermark in force: the earlier one
   * when this one is not later (never backwards), none while there is none. Rejects
   * (GW_ERR_BUFFER_UNAVAILABLE) when the buffer is closed.
   */
  advance(declaration: WatermarkDeclaration): Promise<Watermark | undefined>;
  /**
   * The terminal's record has lost what the gateway never read (a log cleared or replaced behind
   * its back): no later watermark can be proven. The last one stays, true as it was; `reason`
   * shows on the status page. Kept in the buffer.
   */
  freeze(reason: string): void;
}

export interface EmitResult {
  /** punches newly committed */
  inserted: number;
  /** punches already in the buffer (same id) */
  duplicates: number;
  /** punches refused into quarantine (impossible timestamps and the like) */
  quarantined: number;
  /**
   * `emit` only: the punch as the buffer holds it, committed now or before (a duplicate; seq null
   * once retention removed it); absent when it was quarantined
   */
  punch?: { id: string; seq: number | null };
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
  /** Completeness watermark of this device: only for what the protocol proves. */
  readonly watermark: WatermarkReporter;
  /** Give up: the supervisor restarts the driver with backoff. */
  fail(error: Error): void;
  /** The push listener, for drivers of terminals that call the gateway (zk-push); absent otherwise. */
  readonly push?: PushRegistrar;
  /** The kiosk listener (mutual TLS), for kiosk drivers; absent otherwise. */
  readonly kiosk?: KioskRegistrar;
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

export interface BackfillProgress {
  /** download: bytes of one whole-log transfer; commit: records read and committed so far */
  phase: 'download' | 'commit';
  done: number;
  total: number;
}

export interface BackfillOptions {
  /** terminal-local date or date-time (`2026-01-01`, `2026-01-01T07:00[:00]`); records before it are skipped. Undefined: the whole log */
  since?: string;
  onProgress?: (progress: BackfillProgress) => void;
  /** aborts the read; no further batch is committed */
  signal: AbortSignal;
}

/** What one backfill did, in the words `pull` prints. */
export interface BackfillResult {
  /** records the terminal returned (good and bad) */
  records: number;
  /** punches newly committed */
  inserted: number;
  /** punches the buffer already had (same id) */
  duplicates: number;
  /** records before `since` */
  skipped: number;
  /** records that did not decode or map; counted as rejections (status.rejected) */
  rejected: number;
  /** records read that are not punches (door and alarm events), where the terminal's log has such */
  ignored?: number;
  /** the serial in the punch ids, when the driver knows it (else the context's fallback applies) */
  serial?: string;
}
