// The fingerspot-easylink Driver: polls one terminal through the EasyLink bridge (FService.exe).
// Each cycle: /dev/info (identity, counts, clock skew; /dev/settime when configured), then the
// first-start backfill, or the recovery of an interrupted read, or a due reconciliation (all
// through /scanlog/all/paging), then /scanlog/new. See reads.ts for the at-least-once argument.
// The backfill and the reconciliation commit every row of the log (importSince is their only
// floor), so each may prove a watermark (watermark.ts).
// Invariants:
// - The serial is the configured one (the bridge routes by it and /dev/info does not report one);
//   it is reported (status.update) before the first emit.
// - The gateway is the only /scanlog/new client of the bridge (README.md): another client would
//   consume scans the gateway never sees except through reconciliation.
// - A bad reply is a counted rejection plus a retry with backoff; the driver never throws out of
//   its loop and never clears anything on the terminal.
// - Nothing keeps running after `stop()` resolves.
import type { DeviceInfo, Driver, DriverContext } from '../../src/devices/driver.js';
import { PollLoop } from '../../src/devices/pollLoop.js';
import { spreadBackoffMs } from '../../src/util/backoff.js';
import { GatewayError, codeOf, errorMessage } from '../../src/util/errors.js';
import { clockSkewSec, deviceZone, parseWallTime } from '../../src/punch/time.js';
import { isHostClockSynchronized } from '../../src/clock/hostClock.js';
import { BadReplyError, EasyLinkClient } from './client.js';
import { tablesWith, type CodeTables, type DevInfoReply } from './codec.js';
import type { FingerspotConfig } from './config.js';
import { deviceNowIn, infoFailure, loadCheckpoint, normalizeSince, pagingRead, pollNew, shiftLocal, type PagingPlan, type PassResult, type ReadContext, type ReadResult } from './reads.js';
import { proveByPaging } from './watermark.js';

/** /dev/settime only when the terminal is off by at least this much */
export const SET_CLOCK_THRESHOLD_SEC = 2;

export interface EasyLinkTuning {
  backoffMinMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_TUNING: EasyLinkTuning = { backoffMinMs: 1000, backoffMaxMs: 60_000 };

type InfoOk = Extract<DevInfoReply, { kind: 'info' }>;

export class FingerspotEasyLinkDriver implements Driver {
  private readonly loop: PollLoop;
  private skewSec: number | null = null;
  private readonly zone: string;
  private readonly tables: CodeTables;
  private readonly client: EasyLinkClient;

  constructor(
    private readonly cfg: FingerspotConfig,
    private readonly ctx: DriverContext,
    private readonly tuning: EasyLinkTuning = DEFAULT_TUNING,
  ) {
    this.zone = deviceZone(cfg);
    this.tables = tablesWith(cfg);
    this.client = EasyLinkClient.forDevice(cfg);
    this.loop = new PollLoop({
      poll: () => this.cycle(),
      intervalMs: cfg.pollInterval,
      retryDelayMs: (attempt) => spreadBackoffMs(attempt, { minMs: tuning.backoffMinMs, maxMs: tuning.backoffMaxMs }),
      onError: (error, attempt) => this.onCycleError(error, attempt),
      onEnd: () => this.ctx.status.update({ online: false }),
    });
  }

  start(): Promise<void> {
    if (!this.loop.started && !this.ctx.signal.aborted) {
      this.ctx.status.update({ serial: this.cfg.serial, details: { bridge: this.client.address } });
      this.loop.start(this.ctx.signal);
    }
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** /dev/info only: never /scanlog/new, which would consume scans. */
  async probe(): Promise<DeviceInfo> {
    const info = await this.client.info(this.ctx.signal);
    if (info.kind === 'failed') throw new GatewayError('GW_ERR_DEVICE_PROTOCOL', `bridge /dev/info: ${info.message}`);
    return { serial: this.cfg.serial, ...info.counts, deviceTime: info.deviceTime, clockSkewSec: this.skewOf(info) };
  }

  private onCycleError(error: unknown, attempt: number): void {
    if (error instanceof BadReplyError) this.ctx.status.rejected('fingerspot-bad-reply', `${error.path}: ${error.excerpt}`);
    // not a GatewayError: the buffer could not commit (the bridge did answer); the marker stays set
    const code = error instanceof GatewayError ? error.code : undefined;
    const reachable = code === undefined || code === 'GW_ERR_DECODE' || code === 'GW_ERR_DEVICE_PROTOCOL';
    this.ctx.status.update({ online: reachable, lastError: { code: codeOf(error, 'GW_ERR_BUFFER_UNAVAILABLE'), message: errorMessage(error) } });
    this.ctx.log.warn({ code: codeOf(error, 'GW_ERR_BUFFER_UNAVAILABLE'), err: errorMessage(error), attempt }, 'easylink cycle failed; retrying with backoff');
  }

  private async cycle(): Promise<void> {
    const info = await this.readInfo();
    const r = this.readContext();
    const cp = loadCheckpoint(this.ctx, this.cfg.serial);
    const importSince = normalizeSince(this.cfg.importSince);
    let plan: PagingPlan | undefined;
    if (!cp.backfilled) plan = { since: importSince, expectedRows: info.counts.records, why: 'backfill' };
    else if (cp.inflight) plan = { since: laterOf(shiftLocal(cp.inflight.since, -this.cfg.reconcileLookback), importSince), expectedRows: info.counts.records, why: 'recover' };
    else if (this.reconcileDue(cp.lastReconcileAtMs)) plan = { since: importSince, expectedRows: info.counts.records, why: 'reconcile' };
    if (plan) {
      if (plan.why === 'recover') this.ctx.log.warn({ code: 'GW_ERR_DOWNLOAD_INCOMPLETE', since: plan.since, inflight: cp.inflight }, 'an earlier read may have lost scans from /scanlog/new; re-reading through paging');
      const result = await pagingRead(r, plan);
      this.report(plan.why, result);
      await this.prove(info, plan, result);
    }
    this.report('new', await pollNew(r));
    this.ctx.status.seen();
  }

  /** The watermark of a complete paging read (watermark.ts), or a line saying why it proves none. */
  private async prove(info: InfoOk, plan: PagingPlan, result: PassResult): Promise<void> {
    const recordsNow = async (): Promise<number | undefined> => {
      const after = await this.client.info(this.loop.signal);
      return after.kind === 'info' ? after.counts.records : undefined;
    };
    const none = await proveByPaging({ ctx: this.ctx, serial: this.cfg.serial, readingLocal: info.deviceTime, plan, result, recordsNow });
    if (none) this.ctx.log.info({ read: plan.why, why: none }, 'easylink paging proves no watermark');
  }

  private reconcileDue(lastMs: number | undefined): boolean {
    return this.cfg.reconcileInterval > 0 && Date.now() - (lastMs ?? 0) >= this.cfg.reconcileInterval;
  }

  private async readInfo(): Promise<InfoOk> {
    let info = await this.client.info(this.loop.signal);
    if (info.kind === 'failed') throw infoFailure(this.cfg.serial, info.message);
    this.skewSec = this.skewOf(info);
    if (this.canSetClock()) info = await this.setClock(info);
    this.ctx.status.update({ online: true, lastError: null, clockSkewSec: this.skewSec, details: { bridge: this.client.address, deviceTime: info.deviceTime, ...info.counts, ...info.variant } });
    return info;
  }

  private async setClock(before: InfoOk): Promise<InfoOk> {
    const reply = await this.client.setTime(this.loop.signal);
    if (reply.kind === 'failed') {
      this.ctx.log.warn({ code: 'GW_ERR_DEVICE_CLOCK', message: reply.message }, 'easylink /dev/settime refused');
      return before;
    }
    const after = await this.client.info(this.loop.signal);
    if (after.kind === 'failed') return before;
    const beforeSec = this.skewSec;
    this.skewSec = this.skewOf(after);
    this.ctx.log.info({ before: beforeSec, after: this.skewSec }, 'easylink terminal clock set (from the bridge PC clock)');
    if (this.skewSec !== null && Math.abs(this.skewSec) >= SET_CLOCK_THRESHOLD_SEC) {
      this.ctx.log.warn({ code: 'GW_ERR_DEVICE_CLOCK', clockSkewSec: this.skewSec }, 'terminal clock still off after /dev/settime: the bridge PC clock is wrong');
    }
    return after;
  }

  private canSetClock(): boolean {
    if (!this.cfg.syncClock || this.skewSec === null || Math.abs(this.skewSec) < SET_CLOCK_THRESHOLD_SEC) return false;
    if (isHostClockSynchronized()) return true;
    this.ctx.log.warn({ code: 'GW_ERR_CLOCK_UNSYNCHRONIZED' }, 'easylink syncClock is on but the gateway clock is not trusted; terminal clock left alone');
    return false;
  }

  private skewOf(info: InfoOk): number | null {
    const wall = info.deviceTime ? parseWallTime(info.deviceTime) : undefined;
    return wall ? clockSkewSec(wall, this.zone, Date.now()) : null;
  }

  private readContext(): ReadContext {
    return {
      client: this.client, ctx: this.ctx, serial: this.cfg.serial, tables: this.tables, pageSize: this.cfg.pageSize,
      maxPages: this.cfg.maxPages, signal: this.loop.signal, floor: normalizeSince(this.cfg.importSince), deviceNow: () => deviceNowIn(this.zone, this.skewSec),
    };
  }

  private report(what: string, result: ReadResult): void {
    const level = result.emitted > 0 || result.rejected > 0 || what !== 'new' ? 'info' : 'debug';
    this.ctx.log[level]({ read: what, ...result }, 'easylink read done');
  }
}

function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return a > b ? a : b;
}
