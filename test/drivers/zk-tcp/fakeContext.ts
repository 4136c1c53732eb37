// An in-memory DriverContext for the zk-tcp tests: it dedupes by punch id like the SQLite buffer,
// commits punches and checkpoint values together, and awaits a turn of the event loop per commit.
// Two contexts can share one `store` to play a gateway restart (same buffer, fresh driver).
import type { DeviceStatusUpdate, DriverContext, EmitResult } from '../../../src/devices/driver.js';
import { punchId, type RawPunch } from '../../../src/punch/punch.js';
import { silentLogger } from '../../../src/util/logger.js';
import type { ZkSimulatorOptions } from '../../../src/sim/zkTcp/index.js';
import type { SimLog } from '../../../src/sim/zkTcp/log.js';
import { ZK_STATE_MAP as STATE_MAP, ZK_VERIFY_MAP as VERIFY_MAP } from '../../../drivers/zk-common/codes.js';
import { ATTLOG_LAYOUTS } from '../../../drivers/zk-tcp/tables.js';

export interface SharedStore {
  checkpoints: Map<string, unknown>;
  /** committed punches by id */
  punches: Map<string, RawPunch>;
}

export function newStore(): SharedStore {
  return { checkpoints: new Map(), punches: new Map() };
}

export class FakeContext implements DriverContext {
  readonly deviceId = 'lobby-1';
  readonly log = silentLogger();
  readonly abort = new AbortController();
  readonly signal = this.abort.signal;
  status_: DeviceStatusUpdate = {};
  readonly updates: DeviceStatusUpdate[] = [];
  readonly rejections: { reason: string; detail?: string }[] = [];
  readonly failures: Error[] = [];
  /** every punch handed to emit/emitMany, duplicates included */
  readonly emitted: RawPunch[] = [];
  duplicates = 0;
  commits = 0;
  seenCount = 0;
  emitsBeforeSerial = 0;
  /** called after each commit (tests use it to interrupt a download) */
  onCommit?: (commits: number) => void;
  /** when set, every commit fails like a full disk */
  failCommits = false;

  constructor(readonly store: SharedStore = newStore()) {}

  readonly status = {
    update: (change: DeviceStatusUpdate): void => {
      this.updates.push(change);
      this.status_ = { ...this.status_, ...change, details: { ...this.status_.details, ...change.details } };
    },
    seen: (): void => void this.seenCount++,
    rejected: (reason: string, detail?: string): void => void this.rejections.push({ reason, detail }),
  };

  readonly checkpoint = {
    get: <T = unknown>(key: string): T | undefined => structuredClone(this.store.checkpoints.get(key)) as T | undefined,
    set: (key: string, value: unknown): void => void this.store.checkpoints.set(key, structuredClone(value)),
  };

  emit(raw: RawPunch): Promise<EmitResult> {
    return this.emitMany([raw]);
  }

  async emitMany(raws: RawPunch[], checkpoint?: Record<string, unknown>): Promise<EmitResult> {
    await new Promise((resolve) => setImmediate(resolve)); // like waiting for COMMIT
    if (this.failCommits) throw new Error('SQLITE_FULL: database or disk is full');
    const serial = this.status_.serial;
    if (!serial) this.emitsBeforeSerial += raws.length;
    let inserted = 0;
    for (const raw of raws) {
      this.emitted.push(raw);
      const id = punchId({ serial: serial ?? this.deviceId, pin: raw.pin, localTime: raw.localTime, state: raw.state, verify: raw.verify });
      if (this.store.punches.has(id)) this.duplicates++;
      else {
        this.store.punches.set(id, raw);
        inserted++;
      }
    }
    for (const [key, value] of Object.entries(checkpoint ?? {})) this.store.checkpoints.set(key, structuredClone(value));
    this.commits++;
    this.onCommit?.(this.commits);
    return { inserted, duplicates: raws.length - inserted, quarantined: 0 };
  }

  fail(error: Error): void {
    this.failures.push(error);
  }
}

/** `pin|localTime|state|verify` of every committed punch. */
export function committedKeys(store: SharedStore): string[] {
  return [...store.punches.values()].map((p) => `${p.pin}|${p.localTime}|${p.state}|${p.verify}`).sort();
}

/** What the driver must emit for records [from, to) of a simulator log, in the same key form. */
export function expectedKeys(log: SimLog, from = 0, to = log.count): string[] {
  const layout = ATTLOG_LAYOUTS.get(log.recordSize);
  const has = (name: string): boolean => layout?.fields.some((f) => f.name === name) ?? false;
  const keys: string[] = [];
  for (let i = from; i < to; i++) {
    const p = log.punchAt(i);
    const state = has('state') ? (STATE_MAP.get(p.state) ?? 'unknown') : 'unknown';
    const verify = has('verify') ? (VERIFY_MAP.get(p.verify) ?? 'other') : 'other';
    keys.push(`${p.pin}|${p.localTime}|${state}|${verify}`);
  }
  return keys.sort();
}

/** Resolves once `check()` is true; relies on the test timeout rather than a timing threshold. */
export async function until(check: () => boolean, what: string): Promise<void> {
  while (!check()) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (process.env.ZK_TEST_DEBUG) console.log('waiting for', what);
  }
}

export const baseSimOptions: ZkSimulatorOptions = { host: '127.0.0.1', port: 0 };
