// Builds the DriverContext a driver runs with: normalize → commit (any PunchBuffer) → counters and
// status.
// Invariants:
// - `emitMany` resolves after the buffer transaction holding the punches and the checkpoint has
//   committed, and rejects (GW_ERR_BUFFER_UNAVAILABLE) when it could not: the driver must then
//   neither answer its terminal OK nor advance its own position.
// - A punch the normalizer refuses never vanishes: impossible timestamps, PINs outside the edge
//   rule, punches over 4 KiB and invalid fields all go to the quarantine table (rows bounded by
//   quarantineEntry.ts), counted and logged.
// - What a driver reports about its device passes statusBounds.ts first, whichever driver it is:
//   no identity string over 64 printable characters reaches a punch or the device state; what had
//   to be cut or refused is counted as the rejection `identity-invalid`.
// - The device serial in a punch id is the one the driver reported (status.update), else the
//   configured `serial`, else the configured device id.
// - Every rejection and quarantined punch is counted under its catalogue reason and logged with the
//   code the catalogue gives that reason (src/util/catalogue.ts); the warning lines go through a
//   LogLimiter per device context keyed by reason, so a flood of bad input cannot flood the
//   journal (held-back lines are summarized with their count, also when the driver stops).
// - `watermark.advance` reads the buffer's head only once every emit this context had started
//   has settled (watermark.ts has the whole argument for seqThrough).
import type { Logger } from 'pino';
import type { CommitBatch, CommitResult, PunchBuffer, QuarantineEntry } from '../buffer/punchBuffer.js';
import { normalizePunch, type SerializedPunch, type UnsequencedPunch } from '../punch/normalize.js';
import type { RawPunch } from '../punch/punch.js';
import { quarantineCode, rejectionCode, type QuarantineReason, type RejectionReason } from '../util/catalogue.js';
import { LogLimiter } from '../util/logLimiter.js';
import type { Metrics } from '../util/metrics.js';
import type { DeviceStates } from './deviceState.js';
import type { BaseDeviceConfig, DriverContext, EmitResult } from './driver.js';
import type { KioskRegistrar } from './kiosk.js';
import type { PushRegistrar } from './push.js';
import { quarantineEntryOf } from './quarantineEntry.js';
import { boundStatusUpdate } from './statusBounds.js';
import { createWatermarkReporter } from './watermark.js';

export interface ContextDeps {
  device: BaseDeviceConfig;
  gateway: { id: string; site: string; timezone: string };
  punches: { minYear: number; maxFuture: number };
  buffer: PunchBuffer;
  states: DeviceStates;
  log: Logger;
  metrics: Metrics;
  signal: AbortSignal;
  onFail(error: Error): void;
  now?: () => number;
  /** the push listener, when the gateway runs one */
  push?: PushRegistrar;
  /** the kiosk listener, when the gateway runs one */
  kiosk?: KioskRegistrar;
  /** the device's watermark changed in the buffer (advanced or frozen): the gateway publishes it */
  onWatermark?(deviceId: string): void;
}

/** emit() calls of one event-loop turn are committed together, this many at a time */
const SINGLES_PER_COMMIT = 500;

export function createDriverContext(deps: ContextDeps): DriverContext {
  const { device, buffer, states, metrics, log } = deps;
  const deviceId = device.id;
  // 5 lines per reason a minute, then one summary with the count (LogLimiter defaults)
  const warnings = new LogLimiter(log);
  deps.signal.addEventListener('abort', () => warnings.flush(), { once: true });
  const rejected = (reason: RejectionReason, detail: string | undefined, logged = false): void => {
    metrics.rejected.inc({ device: deviceId, reason });
    states.rejected(deviceId, reason, detail);
    if (!logged) warnings.warn(reason, { code: rejectionCode(reason), reason, detail: detail?.slice(0, 200) }, 'input rejected');
  };
  // label lookups cost more than the increments: resolve this device's children once
  const counters = {
    read: metrics.punchesRead.labels({ device: deviceId }),
    committed: metrics.punchesCommitted.labels({ device: deviceId }),
    duplicate: metrics.punchesDuplicate.labels({ device: deviceId }),
  };
  /**
   * Normalizes and hands the batch to the buffer. Apart from the async function below, so that the
   * punches and their JSON are not kept in its frame until the commit answers (they would outlive
   * two young-generation collections and be copied into the old one, for every punch).
   */
  const startCommit = (raws: RawPunch[], checkpoint?: Record<string, unknown>): { committing: Promise<CommitResult>; punchAt: number[]; ids: string[]; latest: string | null } => {
    const { batch, punchAt } = normalizeBatch(deps, raws, warnings);
    if (checkpoint) batch.checkpoint = { deviceId, values: checkpoint };
    counters.read.inc(raws.length);
    const ids = batch.punches.map((p) => p.id);
    const latest = batch.punches.reduce<string | null>((max, p) => (max === null || p.utc > max ? p.utc : max), null);
    return { committing: buffer.commit(batch), punchAt, ids, latest };
  };
  /** Normalizes and commits; resolves with the buffer's answer and where each raw punch went. */
  const commit = async (raws: RawPunch[], checkpoint?: Record<string, unknown>): Promise<{ result: CommitResult; punchAt: number[]; ids: string[] }> => {
    const { committing, punchAt, ids, latest } = startCommit(raws, checkpoint);
    const count = raws.length;
    let result;
    try {
      result = await committing;
    } catch (error) {
      // gateway_buffer_commit_errors_total is counted once per failed transaction, by the gateway
      log.error({ code: 'GW_ERR_BUFFER_UNAVAILABLE', err: error, punches: count }, 'cannot commit punches; the device must keep them');
      throw error;
    }
    counters.committed.inc(result.inserted);
    counters.duplicate.inc(result.duplicates);
    states.committed(deviceId, result.inserted, latest);
    if (result.inserted > 0) log.debug({ inserted: result.inserted, duplicates: result.duplicates }, 'punches committed');
    return { result, punchAt, ids };
  };
  // every emit not yet settled, so a watermark reads the head only after them
  const unsettled = new Set<Promise<unknown>>();
  const tracked = <T>(promise: Promise<T>): Promise<T> => {
    unsettled.add(promise);
    const forget = (): void => void unsettled.delete(promise);
    promise.then(forget, forget);
    return promise;
  };
  const emitMany = (raws: RawPunch[], checkpoint?: Record<string, unknown>): Promise<EmitResult> =>
    tracked(commit(raws, checkpoint).then(({ result }) => ({ inserted: result.inserted, duplicates: result.duplicates, quarantined: result.quarantined })));
  // Single emits of one event-loop turn share one normalization pass and one commit, like an
  // emitMany; each caller still learns what became of its own punch.
  const singles: { raw: RawPunch; resolve(result: EmitResult): void; reject(error: unknown): void }[] = [];
  /** Commits every single queued, SINGLES_PER_COMMIT at a time; the commits' promises, settled once their callers are answered. */
  const flushSingles = (): Promise<unknown>[] => {
    const commits: Promise<unknown>[] = [];
    // in commits of bounded size, so the buffer can serialize one while the writer commits another
    while (singles.length > 0) commits.push(commitSingles(singles.splice(0, SINGLES_PER_COMMIT)));
    return commits;
  };
  const commitSingles = (taken: typeof singles): Promise<unknown> =>
    commit(taken.map((s) => s.raw)).then(
      ({ result, punchAt, ids }) => {
        const duplicate = new Set(result.duplicateAt ?? []);
        const seqAt = insertedSeqs(ids.length, duplicate, result.seqs);
        taken.forEach((single, i) => {
          const at = punchAt[i] as number;
          if (at < 0) return single.resolve({ inserted: 0, duplicates: 0, quarantined: 1 });
          const id = ids[at] as string;
          if (!duplicate.has(at)) return single.resolve({ inserted: 1, duplicates: 0, quarantined: 0, punch: { id, seq: seqAt[at] ?? null } });
          single.resolve({ inserted: 0, duplicates: 1, quarantined: 0, punch: { id, seq: seqOfDuplicate(buffer, id) } });
        });
      },
      (error: unknown) => {
        for (const single of taken) single.reject(error);
      },
    );
  // The singles of one turn are tracked as one: from the first of them until every commit they went
  // into has settled (a tracked promise a punch cost as much as the rest of its way to the buffer).
  const emit = (raw: RawPunch): Promise<EmitResult> =>
    new Promise((resolve, reject) => {
      singles.push({ raw, resolve, reject });
      if (singles.length > 1) return;
      let release = (_commits: Promise<unknown>[]): void => undefined;
      void tracked(new Promise<unknown>((settled) => (release = (commits) => settled(Promise.allSettled(commits)))));
      queueMicrotask(() => release(flushSingles()));
    });
  return {
    deviceId,
    log,
    signal: deps.signal,
    status: {
      update: (change) => {
        const bounded = boundStatusUpdate(change);
        for (const problem of bounded.problems) rejected('identity-invalid', problem);
        states.update(deviceId, bounded.change);
        if (change.online !== undefined) metrics.deviceUp.set({ device: deviceId }, change.online ? 1 : 0);
      },
      seen: () => states.seen(deviceId),
      rejected: (reason, detail, options) => rejected(reason, detail, options?.logged === true),
    },
    checkpoint: {
      get: <T>(key: string) => buffer.getCheckpoint(deviceId, key) as T | undefined,
      set: (key, value) => buffer.setCheckpoint(deviceId, { [key]: value }),
    },
    emit,
    emitMany,
    watermark: createWatermarkReporter({
      deviceId,
      zone: device.timezone ?? deps.gateway.timezone,
      gateway: deps.gateway,
      buffer,
      log,
      commitsSettled: async () => void (await Promise.allSettled([...unsettled])),
      ...(deps.onWatermark ? { onChange: deps.onWatermark } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    }),
    fail: (error) => deps.onFail(error),
    ...(deps.push ? { push: deps.push } : {}),
    ...(deps.kiosk ? { kiosk: deps.kiosk } : {}),
  };
}

/** The seq of each inserted position of a batch of `count` punches: `seqs` are the inserted ones' in order. */
function insertedSeqs(count: number, duplicate: ReadonlySet<number>, seqs: readonly number[]): readonly (number | undefined)[] {
  // no duplicate: punch i got seqs[i]
  if (duplicate.size === 0) return seqs;
  const out = new Array<number | undefined>(count);
  let next = 0;
  for (let at = 0; at < count; at += 1) {
    if (duplicate.has(at)) continue;
    out[at] = seqs[next];
    next += 1;
  }
  return out;
}

/** The seq the buffer holds a duplicate under; null once retention removed it. */
function seqOfDuplicate(buffer: PunchBuffer, id: string): number | null {
  try {
    return buffer.seqOf(id) ?? null;
  } catch {
    return null;
  }
}

/** A pulled terminal's configured host, or a serial line's port path: where its punches come from. */
function configuredAddress(device: BaseDeviceConfig): { address?: string } {
  const { host, path } = device as { host?: unknown; path?: unknown };
  if (typeof host === 'string' && host) return { address: host };
  if (typeof path === 'string' && path) return { address: path };
  return {};
}

let lastIso = { ms: Number.NaN, text: '' };

/** new Date(ms).toISOString(), remembered for the last millisecond: a burst of emits shares it. */
function isoOf(ms: number): string {
  if (lastIso.ms !== ms) lastIso = { ms, text: new Date(ms).toISOString() };
  return lastIso.text;
}

/** The batch to commit, and for each raw punch its position in `batch.punches` (-1: quarantined). */
function normalizeBatch(deps: ContextDeps, raws: RawPunch[], warnings: LogLimiter): { batch: CommitBatch; punchAt: number[] } {
  const { device, gateway, states, metrics } = deps;
  const snapshot = states.get(device.id);
  const serial = snapshot?.serial ?? device.serial ?? device.id;
  const nowMs = (deps.now ?? Date.now)();
  const base = {
    gateway: gateway.id,
    site: gateway.site,
    device: { id: device.id, serial, protocol: device.driver, ...(snapshot?.model ? { model: snapshot.model } : {}), ...configuredAddress(device) },
    zone: device.timezone ?? gateway.timezone,
    clockSkewSec: snapshot?.clockSkewSec ?? null,
    nowMs,
    receivedAt: isoOf(nowMs),
    minYear: deps.punches.minYear,
    maxFutureMs: deps.punches.maxFuture,
  };
  const punches: UnsequencedPunch[] = [];
  const serialized: SerializedPunch[] = [];
  const quarantined: QuarantineEntry[] = [];
  const punchAt: number[] = [];
  for (const raw of raws) {
    const outcome = normalizePunch(raw, base);
    if (outcome.kind === 'ok') {
      punchAt.push(punches.length);
      punches.push(outcome.punch);
      serialized.push(outcome.json);
      continue;
    }
    punchAt.push(-1);
    const entry = quarantineEntryOf(raw, outcome, { deviceId: device.id, serial, zone: base.zone });
    quarantined.push(entry);
    const label: QuarantineReason = outcome.kind === 'quarantined' ? outcome.reason : 'invalid-punch';
    const code = quarantineCode(label);
    metrics.punchesQuarantined.inc({ device: device.id, reason: label });
    states.rejected(device.id, label, entry.reason);
    warnings.warn(`quarantine:${label}`, { code, reason: entry.reason.slice(0, 200), punchId: entry.id, pin: excerptOf(raw.pin), localTime: excerptOf(raw.localTime) }, 'punch quarantined');
  }
  return { batch: { punches, serialized, quarantined }, punchAt };
}

/** A field of a raw punch as a log line may carry it: text cut short, anything else by its type. */
function excerptOf(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 40) : `(${typeof value})`;
}
